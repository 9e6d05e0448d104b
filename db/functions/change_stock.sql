-- The one place where a change of stock is applied and checked (docs/database.md, "Availability"). Callers: the
-- ledger trigger (apply_ledger_to_balances: on hand, and what a movement consumes of its reservation) and the
-- reservation functions (reserve_stock, release_reservation, expire_reservations, set_reorder_point). Each
-- change is one key (item, location, lot) with an on-hand delta (ledger changes carry their last ledger id) and
-- a reserved delta (of reservation lines naming that key; lot NULL on a lot-tracked item is the item at the
-- location without a lot).
--   1. Locks the (item, location) positions of every change in key order, creating missing ones. Every change
--      of on hand or reserved holds its position's row to commit, so concurrent postings and reservations on a
--      position are serialised and take their locks in one order: no deadlock, and each check below reads what
--      the one before it committed (a statement after the lock sees it under READ COMMITTED).
--   2. Applies on hand to the balances (one row per key) and reserved to the positions (their on hand in 1).
--   3. Under the deny policy (item setting, else tenant setting, else deny), unless p_exempt (a count's
--      adjustment: what is physically there wins), refuses a change that takes on hand below zero (IES01,
--      insufficient-stock) or available below zero (IES02, insufficient-available), per lot and per position.
--      Only a change that lowers a quantity is checked: stock already below zero after a count can still be
--      received, released, or issued against its reservation.
--   4. Records whether each position with a reorder point is low (available at or below it) and writes
--      inventory.low_stock or inventory.restocked in this transaction when that changes.
-- SECURITY DEFINER: balances and positions are written by this function only (the app role reads them); it is
-- not executable by the app role, only by the functions above. Row-level security still scopes it unless the
-- owner is a superuser, so every statement names the tenant.
CREATE OR REPLACE FUNCTION change_stock(p_tenant uuid, p_changes stock_change[], p_exempt boolean)
 RETURNS void
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  changes stock_change[];
  shortage record;
  crossing record;
BEGIN
  PERFORM enter_tenant(p_tenant, NULL);
  -- One change per key, in key order.
  SELECT array_agg(ROW(c.item_id, c.location_id, c.lot_id, c.on_hand, c.reserved, c.last_ledger_id)::stock_change
                   ORDER BY c.item_id, c.location_id, c.lot_id NULLS FIRST)
    INTO changes
    FROM (SELECT item_id, location_id, lot_id, sum(on_hand) AS on_hand, sum(reserved) AS reserved,
                 max(last_ledger_id) AS last_ledger_id
            FROM unnest(p_changes) GROUP BY item_id, location_id, lot_id) c;
  IF changes IS NULL THEN
    RETURN;
  END IF;

  -- 1. The positions' row locks, in key order, with their on hand (the sum of their balances, kept here so that
  --    availability reads one row per position).
  INSERT INTO inventory_positions AS p (tenant_id, item_id, location_id, on_hand, updated_at)
  SELECT p_tenant, c.item_id, c.location_id,
         coalesce(sum(c.on_hand) FILTER (WHERE c.last_ledger_id IS NOT NULL), 0), now()
    FROM unnest(changes) c
   GROUP BY c.item_id, c.location_id
   ORDER BY 2, 3
  ON CONFLICT (tenant_id, item_id, location_id) DO UPDATE
    SET on_hand = p.on_hand + EXCLUDED.on_hand, updated_at = EXCLUDED.updated_at;

  -- 2. On hand into the balances (changes from the ledger), reserved into the positions.
  INSERT INTO inventory_balances AS b (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
  SELECT p_tenant, c.item_id, c.location_id, c.lot_id, c.on_hand, c.last_ledger_id, now()
    FROM unnest(changes) c WHERE c.last_ledger_id IS NOT NULL
   ORDER BY c.item_id, c.location_id, c.lot_id
  ON CONFLICT ON CONSTRAINT inventory_balances_key DO UPDATE
    SET qty = b.qty + EXCLUDED.qty,
        last_ledger_id = greatest(b.last_ledger_id, EXCLUDED.last_ledger_id),
        updated_at = EXCLUDED.updated_at;

  UPDATE inventory_positions p SET reserved = p.reserved + d.reserved
    FROM (SELECT item_id, location_id, sum(reserved) AS reserved FROM unnest(changes)
           GROUP BY item_id, location_id HAVING sum(reserved) <> 0) d
   WHERE p.tenant_id = p_tenant AND p.item_id = d.item_id AND p.location_id = d.location_id;

  -- 3. The deny policy: the first shortage in rule and key order.
  IF NOT p_exempt THEN
    SELECT f.rule, f.item_id, f.location_id, f.lot_id, f.after, f.delta INTO shortage
      FROM (
        -- on hand, per key
        SELECT 1 AS rule, c.item_id, c.location_id, c.lot_id, b.qty AS after, c.on_hand AS delta
          FROM unnest(changes) c
          JOIN inventory_balances b ON b.tenant_id = p_tenant AND b.item_id = c.item_id
                                   AND b.location_id = c.location_id AND b.lot_id IS NOT DISTINCT FROM c.lot_id
         WHERE c.on_hand < 0 AND b.qty < 0
        UNION ALL
        -- available, per lot (the reservations naming the lot)
        SELECT 2, c.item_id, c.location_id, c.lot_id,
               coalesce(b.qty, 0) - key_reserved(p_tenant, c.item_id, c.location_id, c.lot_id),
               c.on_hand - c.reserved
          FROM unnest(changes) c
          LEFT JOIN inventory_balances b ON b.tenant_id = p_tenant AND b.item_id = c.item_id
                                        AND b.location_id = c.location_id AND b.lot_id = c.lot_id
         WHERE c.lot_id IS NOT NULL AND c.on_hand - c.reserved < 0
           AND coalesce(b.qty, 0) - key_reserved(p_tenant, c.item_id, c.location_id, c.lot_id) < 0
        UNION ALL
        -- available, per position (every lot, every reservation)
        SELECT 3, d.item_id, d.location_id, NULL::uuid, a.available, d.delta
          FROM (SELECT item_id, location_id, sum(on_hand - reserved) AS delta FROM unnest(changes)
                 GROUP BY item_id, location_id) d
          JOIN stock_availability(p_tenant) a ON a.item_id = d.item_id AND a.location_id = d.location_id
         WHERE d.delta < 0 AND a.available < 0
      ) f
      JOIN items i ON i.tenant_id = p_tenant AND i.id = f.item_id
      JOIN tenants t ON t.id = p_tenant
     WHERE coalesce(i.negative_stock, t.settings ->> 'negativeStock', 'deny') <> 'allow'
     ORDER BY f.rule, f.item_id, f.location_id, f.lot_id
     LIMIT 1;
    IF FOUND THEN
      RAISE EXCEPTION '%', CASE WHEN shortage.rule = 1 THEN 'insufficient stock' ELSE 'insufficient available' END
        USING ERRCODE = CASE WHEN shortage.rule = 1 THEN 'IES01' ELSE 'IES02' END,
              DETAIL = json_build_object(
                'itemId', shortage.item_id,
                'locationId', shortage.location_id,
                'lotCode', (SELECT code FROM lots WHERE tenant_id = p_tenant AND id = shortage.lot_id),
                'available', trim_scale(shortage.after - shortage.delta)::text,
                'requested', trim_scale(-shortage.delta)::text)::text;
    END IF;
  END IF;

  -- 4. Reorder points: a crossing is recorded, and announced, once.
  FOR crossing IN
    WITH crossed AS (
      UPDATE inventory_positions p SET low_stock = NOT p.low_stock
        FROM (SELECT DISTINCT item_id, location_id FROM unnest(changes)) k,
             stock_availability(p_tenant) a
       WHERE p.tenant_id = p_tenant AND p.item_id = k.item_id AND p.location_id = k.location_id
         AND a.item_id = k.item_id AND a.location_id = k.location_id
         AND p.reorder_point IS NOT NULL AND p.low_stock <> (a.available <= p.reorder_point)
      RETURNING p.item_id, p.location_id, p.low_stock, p.reorder_point, p.reorder_qty, a.on_hand, a.reserved,
                a.available
    )
    SELECT c.low_stock, jsonb_build_object(
             'itemId', c.item_id, 'locationId', c.location_id,
             'onHand', trim_scale(c.on_hand)::text, 'reserved', trim_scale(c.reserved)::text,
             'available', trim_scale(c.available)::text,
             'reorderPoint', trim_scale(c.reorder_point)::text,
             'reorderQty', trim_scale(c.reorder_qty)::text) AS payload
      FROM crossed c ORDER BY c.item_id, c.location_id
  LOOP
    IF crossing.low_stock THEN
      INSERT INTO outbox_events (tenant_id, type, payload) VALUES (p_tenant, 'inventory.low_stock', crossing.payload);
    ELSE
      INSERT INTO outbox_events (tenant_id, type, payload) VALUES (p_tenant, 'inventory.restocked', crossing.payload);
    END IF;
  END LOOP;
END
$function$;

REVOKE ALL ON FUNCTION change_stock(uuid, stock_change[], boolean) FROM PUBLIC;
