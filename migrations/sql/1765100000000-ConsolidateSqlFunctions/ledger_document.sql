-- A ledger row as the API returns it (movement responses, GET .../ledger, the movement.posted event).
CREATE OR REPLACE FUNCTION ledger_document(l inventory_ledger, lot_code text)
 RETURNS jsonb
 LANGUAGE sql
 IMMUTABLE
AS $function$
  SELECT jsonb_build_object(
    'id', l.id::text, 'movementId', l.movement_id, 'itemId', l.item_id, 'locationId', l.location_id,
    'lotCode', lot_code, 'qtyBase', trim_scale(l.qty_base)::text, 'qty', trim_scale(l.qty)::text,
    'uom', l.uom, 'type', l.type,
    'occurredAt', to_char(l.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'createdAt', to_char(l.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'createdBy', l.created_by)
$function$;

GRANT EXECUTE ON FUNCTION ledger_document(inventory_ledger, text) TO inventory_app;
