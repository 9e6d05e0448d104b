-- Triggers on inventory_movements: audit entries (audit_row_change).
CREATE TRIGGER inventory_movements_audit AFTER INSERT OR DELETE OR UPDATE ON inventory_movements
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('movement', 'id', '{}', '{}');
