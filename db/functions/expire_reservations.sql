-- Marks the tenant's active reservations whose expires_at has passed as expired (the reservation-expiry job and
-- `npm run cli -- reservations:expire`), at most p_limit of them, oldest expiry first, and returns how many.
-- Their open quantity already stopped counting at expires_at (stock_availability, reservation_document); this
-- records it on each line as expired, returns it to the positions' reserved through change_stock() (which
-- records a restocked crossing), and writes reservation.expired once per reservation: a reservation another
-- transaction holds (being consumed or released) is skipped, and one marked is no longer active, so two
-- replicas running the job cannot both expire it.
-- SECURITY DEFINER: reservations are written by the database's functions only.
CREATE OR REPLACE FUNCTION expire_reservations(p_tenant uuid, p_limit integer)
 RETURNS integer
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  batch uuid[];
  changes stock_change[];
  lapsed record;
BEGIN
  PERFORM enter_tenant(p_tenant, NULL);
  -- The batch is locked first and all its positions in one change_stock() call afterwards: positions are then
  -- taken in key order across the batch, as by every other writer.
  SELECT array_agg(r.id) INTO batch
    FROM (SELECT r.id FROM reservations r
           WHERE r.tenant_id = p_tenant AND r.status = 'active' AND r.expires_at <= now()
           ORDER BY r.expires_at, r.id
           LIMIT p_limit
             FOR UPDATE SKIP LOCKED) r;
  IF batch IS NULL THEN
    RETURN 0;
  END IF;

  SELECT array_agg(ROW(l.item_id, l.location_id, l.lot_id, 0, -l.open_qty, NULL)::stock_change) INTO changes
    FROM reservation_lines l WHERE l.tenant_id = p_tenant AND l.reservation_id = ANY (batch) AND l.open_qty > 0;
  UPDATE reservation_lines l SET expired_qty = l.expired_qty + l.open_qty
   WHERE l.tenant_id = p_tenant AND l.reservation_id = ANY (batch) AND l.open_qty > 0;
  PERFORM change_stock(p_tenant, changes, false);
  UPDATE reservations SET status = 'expired', updated_at = now()
   WHERE tenant_id = p_tenant AND id = ANY (batch);

  FOR lapsed IN
    SELECT r.id, r.reference FROM reservations r WHERE r.tenant_id = p_tenant AND r.id = ANY (batch)
     ORDER BY r.expires_at, r.id
  LOOP
    INSERT INTO outbox_events (tenant_id, type, payload)
    VALUES (p_tenant, 'reservation.expired', jsonb_build_object(
              'reservationId', lapsed.id, 'reference', lapsed.reference,
              'reservation', reservation_document(p_tenant, lapsed.id)));
  END LOOP;
  RETURN cardinality(batch);
END
$function$;

GRANT EXECUTE ON FUNCTION expire_reservations(uuid, integer) TO inventory_app;
