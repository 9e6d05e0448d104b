-- Triggers on webhook_endpoints: audit entries (audit_row_change).
CREATE TRIGGER webhook_endpoints_audit AFTER INSERT OR DELETE OR UPDATE ON webhook_endpoints
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('webhook_endpoint', 'id', '{secret_encrypted,previous_secret_encrypted}', '{last_success_at,last_failure_at,failure_count,updated_at}');
