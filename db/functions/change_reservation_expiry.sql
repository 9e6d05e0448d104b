-- Changes when an active reservation expires (PATCH /api/inventory/reservations/:id): a time in the future, at
-- most a year ahead, or NULL for never. Its open quantity counts until then; nothing is reserved or returned
-- now, so no position is locked. Refused: a reservation that is not active or has already expired (IER01), a
-- time not in the future or more than a year ahead (IEV01). Returns the reservation, or NULL when the tenant
-- has no reservation with this id. The lines' copy of expires_at follows by trigger (copy_reservation_expiry).
-- SECURITY DEFINER: reservations are written by the database's functions only.
CREATE OR REPLACE FUNCTION change_reservation_expiry(p_tenant uuid, p_reservation uuid, p_expires_at timestamptz)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  reservation record;
BEGIN
  PERFORM enter_tenant(p_tenant, NULL);
  SELECT r.id, r.status, r.expires_at INTO reservation
    FROM reservations r WHERE r.tenant_id = p_tenant AND r.id = p_reservation FOR UPDATE;
  IF NOT FOUND THEN
    RETURN NULL;
  END IF;
  IF reservation.status <> 'active' OR reservation.expires_at <= now() THEN
    RAISE EXCEPTION 'reservation not active' USING ERRCODE = 'IER01', DETAIL = json_build_object(
      'reservationId', reservation.id,
      'status', CASE WHEN reservation.status = 'active' THEN 'expired' ELSE reservation.status END)::text;
  END IF;
  IF p_expires_at <= now() OR p_expires_at > now() + interval '365 days' THEN
    RAISE EXCEPTION 'invalid expiry' USING ERRCODE = 'IEV01', DETAIL = jsonb_build_array(jsonb_build_object(
      'field', 'expiresAt',
      'message', CASE WHEN p_expires_at <= now() THEN 'must be in the future'
                      ELSE 'must be at most 365 days ahead' END))::text;
  END IF;
  UPDATE reservations SET expires_at = p_expires_at, updated_at = now()
   WHERE tenant_id = p_tenant AND id = p_reservation;
  RETURN reservation_document(p_tenant, p_reservation);
END
$function$;

GRANT EXECUTE ON FUNCTION change_reservation_expiry(uuid, uuid, timestamptz) TO inventory_app;
