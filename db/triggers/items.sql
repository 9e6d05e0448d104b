-- Triggers on items: audit entries (audit_row_change), tenant limits (enforce_tenant_limit).
CREATE TRIGGER items_audit AFTER INSERT OR DELETE OR UPDATE ON items
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('item', 'id', '{}', '{}');

CREATE TRIGGER items_limit BEFORE INSERT ON items
  FOR EACH ROW
  EXECUTE FUNCTION enforce_tenant_limit('maxItems', 'archived_at IS NULL');
