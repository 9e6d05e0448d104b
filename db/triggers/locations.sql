-- Triggers on locations: audit entries (audit_row_change), tenant limits (enforce_tenant_limit).
CREATE TRIGGER locations_audit AFTER INSERT OR DELETE OR UPDATE ON locations
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('location', 'id', '{}', '{}');

CREATE TRIGGER locations_limit BEFORE INSERT ON locations
  FOR EACH ROW
  EXECUTE FUNCTION enforce_tenant_limit('maxLocations', 'archived_at IS NULL');
