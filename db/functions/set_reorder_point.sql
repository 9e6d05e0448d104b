-- Sets (p_point not NULL) or removes (NULL) the reorder point and reorder quantity of an (item, location), in
-- base units (PUT / DELETE /api/inventory/reorder-points/:itemId/:locationId). Setting records at once whether
-- the position is low, and a change of that writes inventory.low_stock or inventory.restocked as any other
-- crossing would (change_stock); removing ends the watch without an event. Returns the reorder point with the
-- position's availability, or NULL when the item or the location is not the tenant's.
-- SECURITY DEFINER: positions are written by the database's functions only.
CREATE OR REPLACE FUNCTION set_reorder_point(p_tenant uuid, p_item uuid, p_location uuid, p_point numeric,
                                             p_qty numeric)
 RETURNS jsonb
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  PERFORM enter_tenant(p_tenant, NULL);
  IF NOT EXISTS (SELECT 1 FROM items WHERE tenant_id = p_tenant AND id = p_item)
     OR NOT EXISTS (SELECT 1 FROM locations WHERE tenant_id = p_tenant AND id = p_location) THEN
    RETURN NULL;
  END IF;
  INSERT INTO inventory_positions (tenant_id, item_id, location_id, updated_at)
  VALUES (p_tenant, p_item, p_location, now())
  ON CONFLICT (tenant_id, item_id, location_id) DO NOTHING;
  -- The row lock comes first, then the evaluation (change_stock) reads what committed before it.
  UPDATE inventory_positions
     SET reorder_point = p_point, reorder_qty = CASE WHEN p_point IS NULL THEN NULL ELSE p_qty END,
         low_stock = CASE WHEN p_point IS NULL THEN false ELSE low_stock END
   WHERE tenant_id = p_tenant AND item_id = p_item AND location_id = p_location;
  PERFORM change_stock(p_tenant, ARRAY[ROW(p_item, p_location, NULL, 0, 0, NULL)::stock_change], false);
  RETURN (SELECT jsonb_build_object(
                   'itemId', a.item_id, 'locationId', a.location_id,
                   'reorderPoint', trim_scale(a.reorder_point)::text, 'reorderQty', trim_scale(a.reorder_qty)::text,
                   'onHand', trim_scale(a.on_hand)::text, 'reserved', trim_scale(a.reserved)::text,
                   'available', trim_scale(a.available)::text, 'low', a.low_stock)
            FROM stock_availability(p_tenant) a WHERE a.item_id = p_item AND a.location_id = p_location);
END
$function$;

GRANT EXECUTE ON FUNCTION set_reorder_point(uuid, uuid, uuid, numeric, numeric) TO inventory_app;
