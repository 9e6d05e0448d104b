-- Triggers on inventory_ledger: append-only, the balances (apply_ledger_to_balances).
CREATE TRIGGER inventory_ledger_append_only BEFORE DELETE OR UPDATE ON inventory_ledger
  FOR EACH ROW
  EXECUTE FUNCTION refuse_ledger_change();

CREATE TRIGGER inventory_ledger_balance AFTER INSERT ON inventory_ledger
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT
  EXECUTE FUNCTION apply_ledger_to_balances();

CREATE TRIGGER inventory_ledger_no_truncate BEFORE TRUNCATE ON inventory_ledger
  FOR EACH STATEMENT
  EXECUTE FUNCTION refuse_ledger_change();
