-- Triggers on reservations: audit entries (audit_row_change) for creation and every change of status or expiry.
CREATE TRIGGER reservations_audit AFTER INSERT OR DELETE OR UPDATE ON reservations
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('reservation', 'id', '{}', '{updated_at}');

CREATE TRIGGER reservations_expiry_to_lines AFTER UPDATE OF expires_at ON reservations
  FOR EACH ROW
  WHEN (old.expires_at IS DISTINCT FROM new.expires_at)
  EXECUTE FUNCTION copy_reservation_expiry();
