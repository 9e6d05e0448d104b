-- Triggers on item_uoms: audit entries (audit_row_change).
CREATE TRIGGER item_uoms_audit AFTER INSERT OR DELETE OR UPDATE ON item_uoms
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('item_uom', 'item_id', '{}', '{}');
