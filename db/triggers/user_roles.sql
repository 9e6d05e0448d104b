-- Triggers on user_roles: audit entries (audit_row_change), cache invalidation of principals (notify_access_changed).
CREATE TRIGGER user_roles_access_changed AFTER INSERT OR DELETE OR UPDATE ON user_roles
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('tenant_id');

CREATE TRIGGER user_roles_audit AFTER INSERT OR DELETE OR UPDATE ON user_roles
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('user_role', 'user_id', '{}', '{}');
