-- Exactly-once fan-out of outbox events into webhook deliveries, in the event's own transaction (statement-level
-- AFTER INSERT on outbox_events over the transition table), then one NOTIFY per tenant for the dispatchers.
CREATE OR REPLACE FUNCTION fan_out_webhook_deliveries()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
DECLARE
  created_count bigint;
BEGIN
  -- The notification names the tenant: a dispatcher can work on that tenant's queue under row-level
  -- security (transaction-local app.tenant_id) without scanning every tenant.
  WITH created AS (
    INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type)
    SELECT e.tenant_id, w.id, e.id, e.type
      FROM new_events e
      JOIN webhook_endpoints w
        ON w.tenant_id = e.tenant_id AND w.status = 'active'
       AND CASE WHEN e.type = 'webhook.test' THEN w.id = (e.payload ->> 'endpointId')::uuid
                ELSE '*' = ANY (w.events) OR e.type = ANY (w.events) END
    ON CONFLICT DO NOTHING
    RETURNING tenant_id
  )
  SELECT count(pg_notify('webhook_deliveries', tenant_id::text)) INTO STRICT created_count
    FROM (SELECT DISTINCT tenant_id FROM created) t;
  RETURN NULL;
END
$function$;
