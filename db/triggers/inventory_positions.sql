-- Triggers on inventory_positions: audit entries (audit_row_change) when a reorder point or quantity changes
-- (the position's on hand, reserved and low-stock state change with stock and are not audited).
CREATE TRIGGER inventory_positions_audit AFTER UPDATE OF reorder_point, reorder_qty ON inventory_positions
  FOR EACH ROW
  WHEN (old.reorder_point IS DISTINCT FROM new.reorder_point OR old.reorder_qty IS DISTINCT FROM new.reorder_qty)
  EXECUTE FUNCTION audit_row_change('reorder_point', 'id', '{}', '{on_hand,reserved,low_stock,updated_at}');
