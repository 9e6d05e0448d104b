-- Stores the answer of the work an Idempotency-Key was claimed for (claim_idempotency_key), in the same
-- transaction: a later request with the key and the same body gets exactly this status and body.
CREATE OR REPLACE FUNCTION complete_idempotency_key(p_tenant uuid, p_key text, p_status integer, p_body jsonb)
 RETURNS void
 LANGUAGE sql
AS $function$
  UPDATE idempotency_keys SET response_status = p_status, response_body = p_body
   WHERE tenant_id = p_tenant AND key = p_key
$function$;

GRANT EXECUTE ON FUNCTION complete_idempotency_key(uuid, text, integer, jsonb) TO inventory_app;
