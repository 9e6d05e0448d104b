-- Triggers on api_keys: audit entries (audit_row_change), cache invalidation of principals (notify_access_changed).
CREATE TRIGGER api_keys_access_changed AFTER INSERT OR DELETE OR UPDATE ON api_keys
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('tenant_id');

CREATE TRIGGER api_keys_audit AFTER INSERT OR DELETE OR UPDATE ON api_keys
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('api_key', 'id', '{key_hash}', '{last_used_at}');
