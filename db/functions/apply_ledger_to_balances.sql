-- Applies new ledger rows to the stock (the statement-level AFTER INSERT trigger on inventory_ledger,
-- db/triggers/inventory_ledger.sql): one change per key from the transition table, set-based, handed to
-- change_stock(), which locks, keeps the balances and enforces the deny policy. A movement that names a
-- reservation (inventory_movements.reservation_id; issues and transfers only) first consumes it: each key the
-- movement takes stock from uses the reservation's open quantity on that key (a line naming the lot first, then
-- one for the item at the location without a lot, each in line order), and only the excess must fit available.
-- The reservation's row is locked before any position (the order every reservation function keeps), it must be
-- active and unexpired (IER01, reservation-not-active), the consumed quantities are recorded on its lines, and
-- reservation.consumed is written; a reservation with nothing left open becomes consumed.
-- A count's adjustment is exempt from the deny policy: post_movement() sets app.negative_stock_exempt around it.
-- SECURITY DEFINER: reservations and stock are written by the database's functions only.
CREATE OR REPLACE FUNCTION apply_ledger_to_balances()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  tenant uuid;
  posting record;
  reservation record;
  demand record;
  line record;
  remaining numeric;
  taken numeric;
  changes stock_change[];
  consumed jsonb;
  consumptions jsonb;
BEGIN
  -- Usually one tenant and one movement (post_movement); any insert is applied, set-based per tenant.
  FOR tenant IN SELECT DISTINCT tenant_id FROM new_rows ORDER BY tenant_id LOOP
    SELECT array_agg(ROW(item_id, location_id, lot_id, qty, 0, last_id)::stock_change)
      INTO changes
      FROM (SELECT item_id, location_id, lot_id, sum(qty_base) AS qty, max(id) AS last_id FROM new_rows
             WHERE tenant_id = tenant GROUP BY item_id, location_id, lot_id) g;
    consumptions := '[]'::jsonb;

    -- The movements that name a reservation consume it, each reservation's row locked before any position.
    FOR posting IN
      SELECT m.id AS movement_id, m.reservation_id
        FROM inventory_movements m
       WHERE m.tenant_id = tenant AND m.reservation_id IS NOT NULL
         AND m.id IN (SELECT DISTINCT movement_id FROM new_rows WHERE tenant_id = tenant)
       ORDER BY m.reservation_id, m.id
    LOOP
      SELECT r.id, r.reference, r.status, r.expires_at INTO reservation
        FROM reservations r WHERE r.tenant_id = tenant AND r.id = posting.reservation_id
         FOR UPDATE;
      IF reservation.status <> 'active' OR reservation.expires_at <= now() THEN
        RAISE EXCEPTION 'reservation not active' USING ERRCODE = 'IER01', DETAIL = json_build_object(
          'reservationId', reservation.id,
          'status', CASE WHEN reservation.status = 'active' THEN 'expired' ELSE reservation.status END)::text;
      END IF;
      consumed := '[]'::jsonb;
      FOR demand IN
        SELECT item_id, location_id, lot_id, -sum(qty_base) AS qty FROM new_rows
         WHERE tenant_id = tenant AND movement_id = posting.movement_id AND qty_base < 0
         GROUP BY item_id, location_id, lot_id
         ORDER BY item_id, location_id, lot_id
      LOOP
        remaining := demand.qty;
        FOR line IN
          SELECT l.line_no, l.lot_id, l.open_qty FROM reservation_lines l
           WHERE l.tenant_id = tenant AND l.reservation_id = reservation.id
             AND l.item_id = demand.item_id AND l.location_id = demand.location_id
             AND (l.lot_id = demand.lot_id OR l.lot_id IS NULL) AND l.open_qty > 0
           ORDER BY l.lot_id IS NULL, l.line_no
        LOOP
          taken := least(remaining, line.open_qty);
          UPDATE reservation_lines SET consumed_qty = consumed_qty + taken
           WHERE tenant_id = tenant AND reservation_id = reservation.id AND line_no = line.line_no;
          changes := changes || ROW(demand.item_id, demand.location_id, line.lot_id, 0, -taken, NULL)::stock_change;
          consumed := consumed || jsonb_build_object(
            'itemId', demand.item_id, 'locationId', demand.location_id,
            'lotCode', (SELECT code FROM lots WHERE tenant_id = tenant AND id = line.lot_id),
            'qty', trim_scale(taken)::text);
          remaining := remaining - taken;
          EXIT WHEN remaining = 0;
        END LOOP;
      END LOOP;
      IF jsonb_array_length(consumed) > 0 THEN
        consumptions := consumptions || jsonb_build_object(
          'reservationId', reservation.id, 'reference', reservation.reference,
          'movementId', posting.movement_id, 'consumed', consumed);
      END IF;
    END LOOP;

    PERFORM change_stock(tenant, changes, coalesce(current_setting('app.negative_stock_exempt', true), '') <> '');

    -- A reservation with nothing left open is consumed; each consumption is announced once.
    FOR posting IN SELECT value AS consumption FROM jsonb_array_elements(consumptions) LOOP
      UPDATE reservations r SET status = 'consumed', updated_at = now()
       WHERE r.tenant_id = tenant AND r.id = (posting.consumption ->> 'reservationId')::uuid
         AND NOT EXISTS (SELECT 1 FROM reservation_lines l
                          WHERE l.tenant_id = r.tenant_id AND l.reservation_id = r.id AND l.open_qty > 0);
      INSERT INTO outbox_events (tenant_id, type, payload)
      VALUES (tenant, 'reservation.consumed', posting.consumption || jsonb_build_object(
                'reservation', reservation_document(tenant, (posting.consumption ->> 'reservationId')::uuid)));
    END LOOP;
  END LOOP;
  RETURN NULL;
END
$function$;
