-- Triggers on role_permissions: audit entries (audit_row_change), cache invalidation of principals (notify_access_changed).
CREATE TRIGGER role_permissions_access_changed AFTER INSERT OR DELETE OR UPDATE ON role_permissions
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('tenant_id');

CREATE TRIGGER role_permissions_audit AFTER INSERT OR DELETE OR UPDATE ON role_permissions
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('role_permission', 'role_id', '{}', '{}');
