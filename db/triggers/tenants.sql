-- Triggers on tenants: cache invalidation of principals (notify_access_changed).
CREATE TRIGGER tenants_access_changed AFTER INSERT OR DELETE OR UPDATE ON tenants
  FOR EACH ROW
  EXECUTE FUNCTION notify_access_changed('id');
