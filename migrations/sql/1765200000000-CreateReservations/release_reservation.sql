-- Releases a reservation's open quantity (POST /api/inventory/reservations/:id/release, in the request's tenant
-- transaction): all of it when p_lines is NULL, else the given quantities per key (item, location, lot; base
-- units), each spread over the reservation's lines on that key in line order. The reservation's row is locked
-- first, then change_stock() returns the quantity to available (and records a restocked crossing). Refused:
-- a reservation that is not active or has expired (IER01), a key the reservation has no line for or a
-- quantity that is not positive (IEV01), more than is open on a key (IER02). A reservation with nothing left
-- open becomes consumed (if any of it was consumed) or released. Writes reservation.released and returns the
-- reservation, or NULL when the tenant has no reservation with this id.
-- SECURITY DEFINER: reservations are written by the database's functions only.
CREATE OR REPLACE FUNCTION release_reservation(p_tenant uuid, p_reservation uuid, p_lines jsonb)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  reservation record;
  request record;
  line record;
  errors jsonb;
  remaining numeric;
  taken numeric;
  changes stock_change[] := '{}';
  released jsonb := '[]'::jsonb;
  body jsonb;
BEGIN
  PERFORM enter_tenant(p_tenant, NULL);
  SELECT r.id, r.reference, r.status, r.expires_at INTO reservation
    FROM reservations r WHERE r.tenant_id = p_tenant AND r.id = p_reservation FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF reservation.status <> 'active' OR reservation.expires_at <= now() THEN
    RAISE EXCEPTION 'reservation not active' USING ERRCODE = 'IER01', DETAIL = json_build_object(
      'reservationId', reservation.id,
      'status', CASE WHEN reservation.status = 'active' THEN 'expired' ELSE reservation.status END)::text;
  END IF;

  IF p_lines IS NULL THEN
    FOR line IN
      SELECT l.line_no, l.item_id, l.location_id, l.lot_id, l.open_qty FROM reservation_lines l
       WHERE l.tenant_id = p_tenant AND l.reservation_id = reservation.id AND l.open_qty > 0 ORDER BY l.line_no
    LOOP
      UPDATE reservation_lines SET released_qty = released_qty + line.open_qty
       WHERE tenant_id = p_tenant AND reservation_id = reservation.id AND line_no = line.line_no;
      changes := changes || ROW(line.item_id, line.location_id, line.lot_id, 0, -line.open_qty, NULL)::stock_change;
      released := released || jsonb_build_object(
        'itemId', line.item_id, 'locationId', line.location_id,
        'lotCode', (SELECT code FROM lots WHERE tenant_id = p_tenant AND id = line.lot_id),
        'qty', trim_scale(line.open_qty)::text);
    END LOOP;
  ELSE
    WITH asked AS (
      SELECT (e.ord - 1)::integer AS idx, (e.line ->> 'itemId')::uuid AS item_id,
             (e.line ->> 'locationId')::uuid AS location_id, nullif(btrim(e.line ->> 'lotCode'), '') AS lot_code,
             (e.line ->> 'qty')::numeric AS qty
        FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e (line, ord)
    ), problems AS (
      SELECT a.idx, unnest(array_remove(ARRAY[
               CASE WHEN NOT EXISTS (
                      SELECT 1 FROM reservation_lines l
                        LEFT JOIN lots lt ON lt.tenant_id = l.tenant_id AND lt.id = l.lot_id
                       WHERE l.tenant_id = p_tenant AND l.reservation_id = reservation.id
                         AND l.item_id = a.item_id AND l.location_id = a.location_id
                         AND lt.code IS NOT DISTINCT FROM a.lot_code)
                    THEN '|the reservation has no line for this item, location and lot' END,
               CASE WHEN a.qty <= 0 THEN 'qty|must be greater than zero' END,
               CASE WHEN a.qty <> round(a.qty, 6) THEN 'qty|has more than 6 decimals' END
             ], NULL)) AS problem
        FROM asked a
    )
    SELECT coalesce(jsonb_agg(jsonb_build_object(
             'field', CASE WHEN split_part(p.problem, '|', 1) = '' THEN format('lines[%s]', p.idx)
                           ELSE format('lines[%s].%s', p.idx, split_part(p.problem, '|', 1)) END,
             'message', split_part(p.problem, '|', 2)) ORDER BY p.idx, p.problem), '[]'::jsonb)
      INTO errors FROM problems p;
    IF jsonb_array_length(errors) > 0 THEN
      RAISE EXCEPTION 'invalid release' USING ERRCODE = 'IEV01', DETAIL = errors::text;
    END IF;

    FOR request IN
      SELECT a.item_id, a.location_id, lt.id AS lot_id, a.lot_code, sum(a.qty) AS qty,
             (SELECT sum(l.open_qty) FROM reservation_lines l
               WHERE l.tenant_id = p_tenant AND l.reservation_id = reservation.id AND l.item_id = a.item_id
                 AND l.location_id = a.location_id AND l.lot_id IS NOT DISTINCT FROM lt.id) AS open_qty
        FROM (SELECT (e ->> 'itemId')::uuid AS item_id, (e ->> 'locationId')::uuid AS location_id,
                     nullif(btrim(e ->> 'lotCode'), '') AS lot_code, (e ->> 'qty')::numeric AS qty
                FROM jsonb_array_elements(p_lines) e) a
        LEFT JOIN lots lt ON lt.tenant_id = p_tenant AND lt.item_id = a.item_id AND lt.code = a.lot_code
       GROUP BY a.item_id, a.location_id, lt.id, a.lot_code
       ORDER BY a.item_id, a.location_id, lt.id
    LOOP
      IF request.qty > request.open_qty THEN
        RAISE EXCEPTION 'release exceeds open quantity' USING ERRCODE = 'IER02', DETAIL = json_build_object(
          'itemId', request.item_id, 'locationId', request.location_id, 'lotCode', request.lot_code,
          'open', trim_scale(request.open_qty)::text, 'requested', trim_scale(request.qty)::text)::text;
      END IF;
      remaining := request.qty;
      FOR line IN
        SELECT l.line_no, l.open_qty FROM reservation_lines l
         WHERE l.tenant_id = p_tenant AND l.reservation_id = reservation.id AND l.item_id = request.item_id
           AND l.location_id = request.location_id AND l.lot_id IS NOT DISTINCT FROM request.lot_id
           AND l.open_qty > 0
         ORDER BY l.line_no
      LOOP
        taken := least(remaining, line.open_qty);
        UPDATE reservation_lines SET released_qty = released_qty + taken
         WHERE tenant_id = p_tenant AND reservation_id = reservation.id AND line_no = line.line_no;
        remaining := remaining - taken;
        EXIT WHEN remaining = 0;
      END LOOP;
      changes := changes || ROW(request.item_id, request.location_id, request.lot_id, 0, -request.qty, NULL)::stock_change;
      released := released || jsonb_build_object(
        'itemId', request.item_id, 'locationId', request.location_id, 'lotCode', request.lot_code,
        'qty', trim_scale(request.qty)::text);
    END LOOP;
  END IF;

  PERFORM change_stock(p_tenant, changes, false);
  UPDATE reservations r
     SET status = CASE WHEN EXISTS (SELECT 1 FROM reservation_lines l WHERE l.tenant_id = r.tenant_id
                                      AND l.reservation_id = r.id AND l.open_qty > 0) THEN r.status
                       WHEN EXISTS (SELECT 1 FROM reservation_lines l WHERE l.tenant_id = r.tenant_id
                                      AND l.reservation_id = r.id AND l.consumed_qty > 0) THEN 'consumed'
                       ELSE 'released' END,
         updated_at = now()
   WHERE r.tenant_id = p_tenant AND r.id = reservation.id;
  body := reservation_document(p_tenant, reservation.id);
  INSERT INTO outbox_events (tenant_id, type, payload)
  VALUES (p_tenant, 'reservation.released', jsonb_build_object(
            'reservationId', reservation.id, 'reference', reservation.reference, 'released', released,
            'reservation', body));
  RETURN body;
END
$function$;

GRANT EXECUTE ON FUNCTION release_reservation(uuid, uuid, jsonb) TO inventory_app;
