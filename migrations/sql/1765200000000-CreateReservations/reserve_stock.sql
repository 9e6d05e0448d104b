-- Creates a reservation in one round trip (POST /api/inventory/reservations, ReservationsRepository):
--   1. enters the tenant with who acts, claims the Idempotency-Key (claim_idempotency_key);
--   2. validates every line, all errors at once (IEV01 with the JSON list in DETAIL): the shared stock-line
--      rules (stock_lines), the unit, a positive quantity exact to 6 decimals in the base unit; the reference;
--      expiresAt in the future and at most a year ahead;
--   3. inserts the reservation and its lines (quantities in base units), then change_stock() reserves them: the
--      lines on one key are summed and, under the deny policy, must fit its available together (IES02,
--      insufficient-available, and nothing is reserved); under allow a reservation may exceed on hand;
--   4. writes reservation.created and answers { replayed, status, body }.
-- SECURITY DEFINER: reservations are written by the database's functions only (the app role reads them).
CREATE OR REPLACE FUNCTION reserve_stock(p_tenant uuid, p_actor uuid, p_actor_kind text, p_idempotency_key text,
                                         p_fingerprint text, p_reservation jsonb, p_audit jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  new_reservation_id uuid := gen_random_uuid();
  reference text := btrim(p_reservation ->> 'reference');
  expires timestamptz := (p_reservation ->> 'expiresAt')::timestamptz;
  stored jsonb;
  errors jsonb;
  legs movement_leg[];
  body jsonb;
BEGIN
  PERFORM enter_tenant(p_tenant, p_audit);
  IF p_idempotency_key IS NOT NULL THEN
    stored := claim_idempotency_key(p_tenant, p_idempotency_key, p_fingerprint);
    IF stored IS NOT NULL THEN
      RETURN stored;
    END IF;
  END IF;

  WITH checked AS (
    SELECT s.idx, s.item_id, s.location_id, s.lot_code, c.qty, coalesce(c.uom, s.base_uom) AS uom,
           c.qty * c.factor AS qty_base,
           -- a lot-tracked item may be reserved without a lot: at the location, from any of its lots
           array_remove(s.problems, 'lotCode|required: the item is lot-tracked') || array_remove(ARRAY[
             CASE WHEN s.item_ok AND c.factor IS NULL THEN 'uom|unknown unit for this item' END,
             CASE WHEN c.qty <= 0 THEN 'qty|must be greater than zero' END,
             CASE WHEN c.factor IS NOT NULL AND c.qty * c.factor <> round(c.qty * c.factor, 6)
                  THEN 'qty|converts to more than 6 decimals in the base unit' END,
             CASE WHEN c.factor IS NOT NULL AND abs(c.qty * c.factor) >= 1e14 THEN 'qty|too large' END
           ], NULL) AS problems
      FROM stock_lines(p_tenant, CASE WHEN jsonb_typeof(p_reservation -> 'lines') = 'array'
                                     THEN p_reservation -> 'lines' ELSE '[]' END) s
      CROSS JOIN LATERAL (
        SELECT (s.line ->> 'qty')::numeric AS qty, nullif(s.line ->> 'uom', '') AS uom,
               CASE WHEN nullif(s.line ->> 'uom', '') IS NULL OR s.line ->> 'uom' = s.base_uom THEN 1::numeric
                    ELSE (SELECT u.factor FROM item_uoms u
                           WHERE u.tenant_id = p_tenant AND u.item_id = s.item_id AND u.code = s.line ->> 'uom')
               END AS factor) c
  )
  SELECT
    (SELECT coalesce(jsonb_agg(jsonb_build_object('field', e.field, 'message', e.message)
                               ORDER BY e.ord, e.field, e.message), '[]'::jsonb)
       FROM (SELECT -1 AS ord, 'reference' AS field, 'must be 1-200 characters' AS message
              WHERE reference IS NULL OR length(reference) NOT BETWEEN 1 AND 200
             UNION ALL
             SELECT -1, 'lines', 'must have 1-500 lines'
              WHERE jsonb_typeof(p_reservation -> 'lines') IS DISTINCT FROM 'array'
                 OR jsonb_array_length(p_reservation -> 'lines') NOT BETWEEN 1 AND 500
             UNION ALL
             SELECT -1, 'expiresAt', 'must be in the future' WHERE expires <= now()
             UNION ALL
             SELECT -1, 'expiresAt', 'must be at most 365 days ahead' WHERE expires > now() + interval '365 days'
             UNION ALL
             SELECT c.idx, CASE WHEN split_part(p.problem, '|', 1) = '' THEN format('lines[%s]', c.idx)
                                ELSE format('lines[%s].%s', c.idx, split_part(p.problem, '|', 1)) END,
                    split_part(p.problem, '|', 2)
               FROM checked c CROSS JOIN LATERAL unnest(c.problems) AS p (problem)) e),
    (SELECT array_agg(ROW(c.idx, c.item_id, c.location_id, c.lot_code, c.qty, c.uom, c.qty_base)::movement_leg
                      ORDER BY c.idx)
       FROM checked c)
  INTO errors, legs;
  IF jsonb_array_length(errors) > 0 THEN
    RAISE EXCEPTION 'invalid reservation' USING ERRCODE = 'IEV01', DETAIL = errors::text;
  END IF;

  INSERT INTO lots (tenant_id, item_id, code)
  SELECT DISTINCT p_tenant, g.item_id, g.lot_code FROM unnest(legs) g WHERE g.lot_code IS NOT NULL
   ORDER BY 2, 3  -- one lock order for concurrent first uses of the same lots
  ON CONFLICT DO NOTHING;

  INSERT INTO reservations (tenant_id, id, reference, status, expires_at, created_by, created_by_kind)
  VALUES (p_tenant, new_reservation_id, reference, 'active', expires, p_actor, p_actor_kind);
  INSERT INTO reservation_lines (tenant_id, reservation_id, line_no, item_id, location_id, lot_id, qty,
                                 requested_qty, uom, expires_at)
  SELECT p_tenant, new_reservation_id, g.line_no, g.item_id, g.location_id, lt.id, g.qty_base, g.qty, g.uom, expires
    FROM unnest(legs) g
    LEFT JOIN lots lt ON lt.tenant_id = p_tenant AND lt.item_id = g.item_id AND lt.code = g.lot_code;

  PERFORM change_stock(p_tenant, (
    SELECT array_agg(ROW(l.item_id, l.location_id, l.lot_id, 0, l.qty, NULL)::stock_change)
      FROM reservation_lines l WHERE l.tenant_id = p_tenant AND l.reservation_id = new_reservation_id), false);

  body := reservation_document(p_tenant, new_reservation_id);
  INSERT INTO outbox_events (tenant_id, type, payload) VALUES (p_tenant, 'reservation.created', body);
  IF p_idempotency_key IS NOT NULL THEN
    PERFORM complete_idempotency_key(p_tenant, p_idempotency_key, 201, body);
  END IF;
  RETURN jsonb_build_object('replayed', false, 'status', 201, 'body', body);
END
$function$;

GRANT EXECUTE ON FUNCTION reserve_stock(uuid, uuid, text, text, text, jsonb, jsonb) TO inventory_app;
