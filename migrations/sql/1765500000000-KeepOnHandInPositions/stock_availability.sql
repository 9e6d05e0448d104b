-- Availability per (item, location), the one definition of it (docs/database.md, "Availability"):
--   on_hand   the sum of the position's balances (every lot), kept in inventory_positions.on_hand by
--             change_stock() in the statement that locks the position (the reconciliation checks it);
--   reserved  the open quantity of its reservation lines (with or without a lot), kept in
--             inventory_positions.reserved by change_stock(), less the lines whose reservation has expired
--             (expires_at <= now()) and that the expiry job has not marked yet: expiry is exact without it (a
--             position with nothing reserved has no such line, and its lines are not read);
--   available on_hand - reserved (below zero only after a count approval, or under the allow policy).
-- With the position's reorder point, reorder quantity and whether it is low now (as last recorded).
-- LANGUAGE sql with a single SELECT: inlined into the caller's query, which filters the positions it needs.
CREATE OR REPLACE FUNCTION stock_availability(p_tenant uuid)
 RETURNS TABLE(item_id uuid, location_id uuid, on_hand numeric, reserved numeric, available numeric,
               reorder_point numeric, reorder_qty numeric, low_stock boolean)
 LANGUAGE sql
 STABLE
AS $function$
  SELECT p.item_id, p.location_id, p.on_hand, p.reserved - ex.qty, p.on_hand - (p.reserved - ex.qty),
         p.reorder_point, p.reorder_qty, p.low_stock
    FROM inventory_positions p
   CROSS JOIN LATERAL (SELECT coalesce(sum(r.open_qty), 0) AS qty FROM reservation_lines r
                        WHERE p.reserved > 0 AND r.tenant_id = p.tenant_id AND r.item_id = p.item_id
                          AND r.location_id = p.location_id AND r.open_qty > 0
                          AND r.expires_at <= now()) ex
   WHERE p.tenant_id = p_tenant
$function$;

GRANT EXECUTE ON FUNCTION stock_availability(uuid) TO inventory_app;
