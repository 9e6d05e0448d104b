-- The line rules that every posting of stock shares (a movement's lines, a count's lines): the item and the
-- location exist in this tenant and are not archived, and a lot code is given exactly when the item is
-- lot-tracked. One row per element of p_lines, idx counting from 0 as in the API's field paths (lines[idx]),
-- with the resolved item facts for the caller's own rules and `problems` as 'field|message' entries.
-- LANGUAGE sql with a single SELECT: PostgreSQL inlines it into the caller's query, so it costs no call.
CREATE OR REPLACE FUNCTION stock_lines(p_tenant uuid, p_lines jsonb)
 RETURNS TABLE(idx integer, line jsonb, item_id uuid, location_id uuid, lot_code text, item_ok boolean,
               lot_tracked boolean, base_uom text, location_ok boolean, problems text[])
 LANGUAGE sql
 STABLE
AS $function$
  SELECT p.idx, p.line, p.item_id, p.location_id, p.lot_code,
         i.id IS NOT NULL AND i.archived_at IS NULL, i.lot_tracked, i.base_uom,
         l.id IS NOT NULL AND l.archived_at IS NULL,
         array_remove(ARRAY[
           CASE WHEN i.id IS NULL OR i.archived_at IS NOT NULL THEN 'itemId|unknown or archived item' END,
           CASE WHEN l.id IS NULL OR l.archived_at IS NOT NULL THEN 'locationId|unknown or archived location' END,
           CASE WHEN i.id IS NOT NULL AND i.archived_at IS NULL AND i.lot_tracked AND p.lot_code IS NULL
                THEN 'lotCode|required: the item is lot-tracked' END,
           CASE WHEN i.id IS NOT NULL AND i.archived_at IS NULL AND NOT i.lot_tracked AND p.lot_code IS NOT NULL
                THEN 'lotCode|not allowed: the item is not lot-tracked' END
         ], NULL)
    FROM (SELECT (e.ord - 1)::integer AS idx, e.line,
                 (e.line ->> 'itemId')::uuid AS item_id,
                 (e.line ->> 'locationId')::uuid AS location_id,
                 nullif(btrim(e.line ->> 'lotCode'), '') AS lot_code
            FROM jsonb_array_elements(p_lines) WITH ORDINALITY AS e (line, ord)) p
    LEFT JOIN items i ON i.tenant_id = p_tenant AND i.id = p.item_id
    LEFT JOIN locations l ON l.tenant_id = p_tenant AND l.id = p.location_id
$function$;

GRANT EXECUTE ON FUNCTION stock_lines(uuid, jsonb) TO inventory_app;
