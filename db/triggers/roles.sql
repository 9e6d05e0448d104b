-- Triggers on roles: audit entries (audit_row_change), cache invalidation of principals (notify_access_changed).
CREATE TRIGGER roles_access_changed AFTER INSERT OR DELETE OR UPDATE ON roles
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('tenant_id');

CREATE TRIGGER roles_audit AFTER INSERT OR DELETE OR UPDATE ON roles
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('role', 'id', '{}', '{}');
