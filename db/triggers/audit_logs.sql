-- Triggers on audit_logs: append-only.
CREATE TRIGGER audit_logs_append_only BEFORE DELETE OR UPDATE ON audit_logs
  FOR EACH ROW
  EXECUTE FUNCTION refuse_audit_change();

CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
  FOR EACH STATEMENT
  EXECUTE FUNCTION refuse_audit_change();
