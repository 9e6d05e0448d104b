-- The open quantity reserved at a balance key, leaving out expired reservations: for a lot, the reservation
-- lines naming that lot; for a key without a lot (an item that is not lot-tracked), the position's reserved
-- (stock_availability). A lot's available is its balance less this; reservations of a lot-tracked item at a
-- location without a lot count against the position as a whole, not against any one lot.
-- PL/pgSQL rather than SQL: its plans are cached per session (a SQL function with a subquery is not inlined
-- and would be planned again on every call).
CREATE OR REPLACE FUNCTION key_reserved(p_tenant uuid, p_item uuid, p_location uuid, p_lot uuid)
 RETURNS numeric
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  IF p_lot IS NULL THEN
    RETURN coalesce((SELECT a.reserved FROM stock_availability(p_tenant) a
                      WHERE a.item_id = p_item AND a.location_id = p_location), 0);
  END IF;
  RETURN (SELECT coalesce(sum(r.open_qty), 0) FROM reservation_lines r
           WHERE r.tenant_id = p_tenant AND r.item_id = p_item AND r.location_id = p_location
             AND r.lot_id = p_lot AND r.open_qty > 0 AND (r.expires_at IS NULL OR r.expires_at > now()));
END
$function$;

GRANT EXECUTE ON FUNCTION key_reserved(uuid, uuid, uuid, uuid) TO inventory_app;
