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
-- The movement as the API returns it, with its ledger lines (GET /api/inventory/movements/:id).
-- PL/pgSQL rather than SQL: its plan is cached per session, where a SQL function called from another function
-- was planned again on every call (measured: 8 ms of a 10 ms posting).
CREATE OR REPLACE FUNCTION movement_document(p_movement uuid)
 RETURNS jsonb
 LANGUAGE plpgsql
 STABLE
AS $function$
BEGIN
  RETURN (
    SELECT jsonb_build_object(
      'id', m.id, 'type', m.type, 'reference', m.reference, 'note', m.note,
      'occurredAt', to_char(m.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'createdAt', to_char(m.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
      'createdBy', m.created_by, 'lineCount', m.line_count,
      'lines', (SELECT jsonb_agg(ledger_document(l, lt.code) ORDER BY l.line_no, l.qty_base)
                  FROM inventory_ledger l
                  LEFT JOIN lots lt ON lt.tenant_id = l.tenant_id AND lt.id = l.lot_id
                 WHERE l.tenant_id = m.tenant_id AND l.movement_id = m.id))
      FROM inventory_movements m
     WHERE m.tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid AND m.id = p_movement);
END
$function$;

GRANT EXECUTE ON FUNCTION movement_document(uuid) TO inventory_app;
-- Posts a movement in one round trip (docs/adr/0009-posting-in-one-sql-function.md), the only way stock is
-- posted: POST /api/inventory/movements (MovementsRepository) and a count's approval (CountsRepository) call it.
--   1. enters the tenant with who acts (enter_tenant);
--   2. claims the idempotency key: the key row is inserted at the start of this transaction. A concurrent request
--      with the same key waits on it for at most 100 ms (then IEI09: still in flight, 409); once the first
--      commits, a retry finds the completed row and gets the stored response, or IEI22 (422) when its body
--      differs. A failed first attempt rolls its key back, so a retry runs afresh;
--   3. validates and resolves every line, all errors at once (SQLSTATE IEV01 with a JSON list in DETAIL): the
--      shared stock-line rules (stock_lines) and the movement's own (transfer destination, unit, quantity);
--   4. creates missing lots, inserts the movement and its ledger rows; the ledger trigger
--      (apply_ledger_to_balances) keeps the balances and the negative-stock rule, which a count's adjustment
--      (p_count_adjustment) is exempt from: a count states what is physically there;
--   5. writes the outbox events movement.posted and inventory.updated, records the response for the key, and
--      returns { replayed, status, body }.
CREATE OR REPLACE FUNCTION post_movement(p_tenant uuid, p_actor uuid, p_actor_kind text, p_idempotency_key text,
                                         p_fingerprint text, p_movement jsonb, p_audit jsonb,
                                         p_count_adjustment boolean)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
DECLARE
  new_movement_id uuid := gen_random_uuid();
  movement_type text := p_movement ->> 'type';
  occurred timestamptz := coalesce((p_movement ->> 'occurredAt')::timestamptz, now());
  previous_lock_timeout text;
  claimed integer;
  stored record;
  errors jsonb;
  legs movement_leg[];
  body jsonb;
BEGIN
  PERFORM enter_tenant(p_tenant, p_audit);

  IF p_idempotency_key IS NOT NULL THEN
    previous_lock_timeout := current_setting('lock_timeout');
    PERFORM set_config('lock_timeout', '100ms', true);
    BEGIN
      INSERT INTO idempotency_keys (tenant_id, key, fingerprint, expires_at)
      VALUES (p_tenant, p_idempotency_key, p_fingerprint, now() + interval '24 hours')
      ON CONFLICT DO NOTHING;
      GET DIAGNOSTICS claimed = ROW_COUNT;
    EXCEPTION WHEN lock_not_available THEN
      RAISE EXCEPTION 'idempotent request still in flight' USING ERRCODE = 'IEI09';
    END;
    PERFORM set_config('lock_timeout', previous_lock_timeout, true);
    IF claimed = 0 THEN
      SELECT fingerprint, response_status, response_body, expires_at INTO stored
        FROM idempotency_keys WHERE tenant_id = p_tenant AND key = p_idempotency_key;
      IF stored.expires_at <= now() THEN
        UPDATE idempotency_keys SET fingerprint = p_fingerprint, response_status = NULL, response_body = NULL,
               created_at = now(), expires_at = now() + interval '24 hours'
         WHERE tenant_id = p_tenant AND key = p_idempotency_key;
      ELSIF stored.fingerprint <> p_fingerprint THEN
        RAISE EXCEPTION 'idempotency key reused with a different request' USING ERRCODE = 'IEI22';
      ELSE
        RETURN jsonb_build_object('replayed', true, 'status', stored.response_status, 'body', stored.response_body);
      END IF;
    END IF;
  END IF;

  WITH resolved AS (
    SELECT s.idx, s.item_id, s.location_id, s.lot_code, s.item_ok, s.base_uom, s.problems,
           (s.line ->> 'toLocationId')::uuid AS to_location_id,
           (s.line ->> 'qty')::numeric AS qty,
           nullif(s.line ->> 'uom', '') AS uom,
           t.id IS NOT NULL AND t.archived_at IS NULL AS to_location_ok,
           CASE WHEN nullif(s.line ->> 'uom', '') IS NULL OR s.line ->> 'uom' = s.base_uom THEN 1::numeric
                ELSE u.factor END AS factor
      FROM stock_lines(p_tenant, p_movement -> 'lines') s
      LEFT JOIN locations t ON t.tenant_id = p_tenant AND t.id = (s.line ->> 'toLocationId')::uuid
      LEFT JOIN item_uoms u ON u.tenant_id = p_tenant AND u.item_id = s.item_id AND u.code = s.line ->> 'uom'
  ), checked AS (
    SELECT r.*, r.qty * r.factor AS qty_base,
           r.problems || array_remove(ARRAY[
             CASE WHEN movement_type = 'transfer' AND r.to_location_id IS NULL
                  THEN 'toLocationId|required for a transfer' END,
             CASE WHEN movement_type = 'transfer' AND r.to_location_id IS NOT NULL AND NOT r.to_location_ok
                  THEN 'toLocationId|unknown or archived location' END,
             CASE WHEN movement_type = 'transfer' AND r.to_location_id = r.location_id
                  THEN 'toLocationId|must differ from locationId' END,
             CASE WHEN movement_type <> 'transfer' AND r.to_location_id IS NOT NULL
                  THEN 'toLocationId|only a transfer has a destination' END,
             CASE WHEN r.item_ok AND r.factor IS NULL THEN 'uom|unknown unit for this item' END,
             CASE WHEN movement_type = 'adjustment' AND r.qty = 0 THEN 'qty|must not be zero' END,
             CASE WHEN movement_type <> 'adjustment' AND r.qty <= 0 THEN 'qty|must be greater than zero' END,
             CASE WHEN r.factor IS NOT NULL AND r.qty * r.factor <> round(r.qty * r.factor, 6)
                  THEN 'qty|converts to more than 6 decimals in the base unit' END,
             CASE WHEN r.factor IS NOT NULL AND abs(r.qty * r.factor) >= 1e14
                  THEN 'qty|too large' END
           ], NULL) AS all_problems
      FROM resolved r
  ), leg AS (
    SELECT c.idx, c.item_id, c.location_id, c.lot_code, c.qty, coalesce(c.uom, c.base_uom) AS uom,
           CASE WHEN movement_type = 'issue' OR movement_type = 'transfer' THEN -c.qty_base ELSE c.qty_base END
             AS qty_base
      FROM checked c
    UNION ALL
    SELECT c.idx, c.item_id, c.to_location_id, c.lot_code, c.qty, coalesce(c.uom, c.base_uom), c.qty_base
      FROM checked c WHERE movement_type = 'transfer'
  ), duplicates AS (
    -- Two lines on one key (a transfer's own two legs never share one: its destination must differ).
    SELECT max(idx) AS idx FROM leg
     GROUP BY item_id, location_id, lot_code HAVING count(DISTINCT idx) > 1
  )
  SELECT
    (SELECT coalesce(jsonb_agg(jsonb_build_object(
              'field', CASE WHEN split_part(e.problem, '|', 1) = '' THEN format('lines[%s]', e.idx)
                            ELSE format('lines[%s].%s', e.idx, split_part(e.problem, '|', 1)) END,
              'message', split_part(e.problem, '|', 2)) ORDER BY e.idx, e.problem), '[]'::jsonb)
       FROM (SELECT idx, unnest(all_problems) AS problem FROM checked
             UNION ALL
             SELECT idx, '|a line for the same item, location and lot appears earlier in this movement'
               FROM duplicates) e),
    (SELECT array_agg(ROW(l.idx, l.item_id, l.location_id, l.lot_code, l.qty, l.uom, l.qty_base)::movement_leg
                      ORDER BY l.idx, l.qty_base)
       FROM leg l)
  INTO errors, legs;

  IF jsonb_array_length(errors) > 0 THEN
    RAISE EXCEPTION 'invalid movement' USING ERRCODE = 'IEV01', DETAIL = errors::text;
  END IF;

  INSERT INTO lots (tenant_id, item_id, code)
  SELECT DISTINCT p_tenant, g.item_id, g.lot_code FROM unnest(legs) g WHERE g.lot_code IS NOT NULL
   ORDER BY 2, 3  -- one lock order for concurrent first uses of the same lots
  ON CONFLICT DO NOTHING;

  INSERT INTO inventory_movements (tenant_id, id, type, reference, note, occurred_at, created_by, created_by_kind,
                                   line_count)
  VALUES (p_tenant, new_movement_id, movement_type, p_movement ->> 'reference', p_movement ->> 'note', occurred,
          p_actor, p_actor_kind, jsonb_array_length(p_movement -> 'lines'));

  -- Read by the ledger trigger; set only around this movement's own ledger rows.
  IF p_count_adjustment THEN
    PERFORM set_config('app.negative_stock_exempt', 'on', true);
  END IF;
  -- The response is built from the rows as inserted (RETURNING), not read back in another query.
  WITH inserted AS (
    INSERT INTO inventory_ledger (tenant_id, movement_id, line_no, item_id, location_id, lot_id, qty_base, qty,
                                  uom, type, occurred_at, created_by)
    SELECT p_tenant, new_movement_id, g.line_no, g.item_id, g.location_id, lt.id, g.qty_base, g.qty, g.uom,
           movement_type, occurred, p_actor
      FROM unnest(legs) g
      LEFT JOIN lots lt ON lt.tenant_id = p_tenant AND lt.item_id = g.item_id AND lt.code = g.lot_code
     ORDER BY g.item_id, g.location_id, lt.id  -- one lock order for every movement: no deadlocks between them
    RETURNING *
  )
  SELECT jsonb_build_object(
           'id', new_movement_id, 'type', movement_type,
           'reference', p_movement ->> 'reference', 'note', p_movement ->> 'note',
           'occurredAt', to_char(occurred AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'createdAt', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
           'createdBy', p_actor, 'lineCount', jsonb_array_length(p_movement -> 'lines'),
           'lines', jsonb_agg(ledger_document(i, lt.code) ORDER BY i.line_no, i.qty_base))
    INTO body
    FROM inserted i
    LEFT JOIN lots lt ON lt.tenant_id = i.tenant_id AND lt.id = i.lot_id;
  IF p_count_adjustment THEN
    PERFORM set_config('app.negative_stock_exempt', '', true);
  END IF;

  INSERT INTO outbox_events (tenant_id, type, payload)
  VALUES (p_tenant, 'movement.posted', body),
         (p_tenant, 'inventory.updated', jsonb_build_object('movementId', new_movement_id, 'balances', (
            -- Driven by this movement's keys (a prefix of the balance key's index), not by all balances.
            SELECT jsonb_agg(jsonb_build_object('itemId', b.item_id, 'locationId', b.location_id,
                                                'lotCode', lt.code, 'qty', trim_scale(b.qty)::text)
                             ORDER BY b.item_id, b.location_id, lt.code)
              FROM (SELECT DISTINCT l.item_id, l.location_id, l.lot_id FROM inventory_ledger l
                     WHERE l.tenant_id = p_tenant AND l.movement_id = new_movement_id) k
              JOIN inventory_balances b
                ON b.tenant_id = p_tenant AND b.item_id = k.item_id AND b.location_id = k.location_id
               AND b.lot_id IS NOT DISTINCT FROM k.lot_id
              LEFT JOIN lots lt ON lt.tenant_id = b.tenant_id AND lt.id = b.lot_id)));

  IF p_idempotency_key IS NOT NULL THEN
    UPDATE idempotency_keys SET response_status = 201, response_body = body
     WHERE tenant_id = p_tenant AND key = p_idempotency_key;
  END IF;
  RETURN jsonb_build_object('replayed', false, 'status', 201, 'body', body);
END
$function$;

GRANT EXECUTE ON FUNCTION post_movement(uuid, uuid, text, text, text, jsonb, jsonb, boolean) TO inventory_app;
