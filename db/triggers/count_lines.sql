-- Triggers on count_lines: audit entries (audit_row_change).
CREATE TRIGGER count_lines_audit_change AFTER DELETE OR UPDATE ON count_lines
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('count_line', 'id', '{}', '{}');

CREATE TRIGGER count_lines_audit_insert AFTER INSERT ON count_lines
  FOR EACH ROW WHEN ((NOT new.in_snapshot))
  EXECUTE FUNCTION audit_row_change('count_line', 'id', '{}', '{}');
