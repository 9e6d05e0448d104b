-- A reservation as the API returns it (responses, GET /api/inventory/reservations[/:id], reservation.* events).
-- Expiry is exact: an active reservation past its expires_at is shown expired, its open quantity as expired,
-- whether or not the expiry job has marked it yet. Quantities in the item's base unit.
CREATE OR REPLACE FUNCTION reservation_document(p_tenant uuid, p_reservation uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
      'id', r.id, 'reference', r.reference,
      'status', CASE WHEN lapsed THEN 'expired' ELSE r.status END,
      'expiresAt', to_char(r.expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'createdAt', to_char(r.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'updatedAt', to_char(r.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'createdBy', r.created_by,
      'lines', (SELECT jsonb_agg(jsonb_build_object(
                         'itemId', l.item_id, 'locationId', l.location_id, 'lotCode', lt.code,
                         'qty', trim_scale(l.qty)::text,
                         'consumedQty', trim_scale(l.consumed_qty)::text,
                         'releasedQty', trim_scale(l.released_qty)::text,
                         'expiredQty', trim_scale(l.expired_qty + CASE WHEN lapsed THEN l.open_qty ELSE 0 END)::text,
                         'openQty', trim_scale(CASE WHEN lapsed THEN 0 ELSE l.open_qty END)::text)
                       ORDER BY l.line_no)
                  FROM reservation_lines l
                  LEFT JOIN lots lt ON lt.tenant_id = l.tenant_id AND lt.id = l.lot_id
                 WHERE l.tenant_id = r.tenant_id AND l.reservation_id = r.id))
      FROM reservations r
     CROSS JOIN LATERAL (SELECT r.status = 'active' AND coalesce(r.expires_at <= now(), false) AS lapsed) x
     WHERE r.tenant_id = p_tenant AND r.id = p_reservation);
END
$function$;

GRANT EXECUTE ON FUNCTION reservation_document(uuid, uuid) TO inventory_app;
