-- The balances are kept by the database from the ledger: this statement-level AFTER INSERT trigger on
-- inventory_ledger (db/triggers/inventory_ledger.sql) upserts one balance row per key over the transition table
-- (one set-based statement instead of a PL/pgSQL call per ledger row), in key order, so concurrent postings take
-- the balance row locks in one order and cannot deadlock; the row lock is held to commit, so two concurrent
-- issues cannot both take the last unit. The negative-stock rule is enforced right here (SQLSTATE IES01 ->
-- 409 insufficient-stock): item setting, else tenant setting, else deny; a count's adjustment is exempt.
-- SECURITY DEFINER: balances are written by this trigger only (the app role can just read them); row-level
-- security still scopes it unless the owner is a superuser.
CREATE OR REPLACE FUNCTION apply_ledger_to_balances()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  shortage record;
BEGIN
  WITH deltas AS (
    SELECT tenant_id, item_id, location_id, lot_id, sum(qty_base) AS qty, max(id) AS last_id
      FROM new_rows GROUP BY tenant_id, item_id, location_id, lot_id
  ), upserted AS (
    INSERT INTO inventory_balances AS b (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
    SELECT tenant_id, item_id, location_id, lot_id, qty, last_id, now() FROM deltas
     ORDER BY tenant_id, item_id, location_id, lot_id
    ON CONFLICT ON CONSTRAINT inventory_balances_key DO UPDATE
      SET qty = b.qty + EXCLUDED.qty,
          last_ledger_id = greatest(b.last_ledger_id, EXCLUDED.last_ledger_id),
          updated_at = EXCLUDED.updated_at
    RETURNING b.tenant_id, b.item_id, b.location_id, b.lot_id, b.qty
  )
  SELECT u.item_id, u.location_id, u.lot_id, u.qty, d.qty AS delta, u.tenant_id INTO shortage
    FROM upserted u
    JOIN deltas d ON d.tenant_id = u.tenant_id AND d.item_id = u.item_id AND d.location_id = u.location_id
                 AND d.lot_id IS NOT DISTINCT FROM u.lot_id
    JOIN items i ON i.tenant_id = u.tenant_id AND i.id = u.item_id
    JOIN tenants t ON t.id = u.tenant_id
   WHERE d.qty < 0 AND u.qty < 0
     AND coalesce(i.negative_stock, t.settings ->> 'negativeStock', 'deny') <> 'allow'
     -- A count's approval states what is physically there: it may take a balance below zero (post_movement).
     AND coalesce(current_setting('app.negative_stock_exempt', true), '') = ''
   ORDER BY u.item_id, u.location_id, u.lot_id
   LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'insufficient stock' USING ERRCODE = 'IES01', DETAIL = json_build_object(
      'itemId', shortage.item_id,
      'locationId', shortage.location_id,
      'lotCode', (SELECT code FROM lots WHERE tenant_id = shortage.tenant_id AND id = shortage.lot_id),
      'available', trim_scale(shortage.qty - shortage.delta)::text,
      'requested', trim_scale(-shortage.delta)::text)::text;
  END IF;
  RETURN NULL;
END
$function$;
