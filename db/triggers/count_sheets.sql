-- Triggers on count_sheets: audit entries (audit_row_change).
CREATE TRIGGER count_sheets_audit AFTER INSERT OR DELETE OR UPDATE ON count_sheets
  FOR EACH ROW
  EXECUTE FUNCTION audit_row_change('count_sheet', 'id', '{}', '{}');
