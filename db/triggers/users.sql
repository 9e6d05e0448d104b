-- Triggers on users: audit entries (audit_row_change), cache invalidation of principals (notify_access_changed), tenant limits (enforce_tenant_limit).
CREATE TRIGGER users_access_changed AFTER INSERT OR DELETE OR UPDATE ON users
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('tenant_id');

CREATE TRIGGER users_audit AFTER INSERT OR DELETE OR UPDATE ON users
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('user', 'id', '{email,name,password_hash}', '{}');

CREATE TRIGGER users_limit BEFORE INSERT ON users
  FOR EACH ROW
  EXECUTE FUNCTION enforce_tenant_limit('maxUsers', 'status <> ''deleted''');
