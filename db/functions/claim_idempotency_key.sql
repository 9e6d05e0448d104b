-- Claims an Idempotency-Key for the work of the calling transaction (docs/api-contract.md, "Idempotency-Key"):
-- the key row is inserted by this transaction, so it commits with the work or not at all, and a failed first
-- attempt leaves nothing behind. Returns NULL when the caller should do the work (then complete_idempotency_key),
-- or the stored answer { replayed: true, status, body } of an earlier request with the same key and body.
-- A concurrent request with the same key waits on the first for at most 100 ms, then IEI09 (still in flight,
-- 409); the same key with another body within 24 h is IEI22 (422); an expired key is claimed afresh.
CREATE OR REPLACE FUNCTION claim_idempotency_key(p_tenant uuid, p_key text, p_fingerprint text)
 RETURNS jsonb
 LANGUAGE plpgsql
AS $function$
DECLARE
  previous_lock_timeout text := current_setting('lock_timeout');
  claimed integer;
  stored record;
BEGIN
  PERFORM set_config('lock_timeout', '100ms', true);
  BEGIN
    INSERT INTO idempotency_keys (tenant_id, key, fingerprint, expires_at)
    VALUES (p_tenant, p_key, p_fingerprint, now() + interval '24 hours')
    ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS claimed = ROW_COUNT;
  EXCEPTION WHEN lock_not_available THEN
    RAISE EXCEPTION 'idempotent request still in flight' USING ERRCODE = 'IEI09';
  END;
  PERFORM set_config('lock_timeout', previous_lock_timeout, true);
  IF claimed = 1 THEN
    RETURN NULL;
  END IF;
  SELECT fingerprint, response_status, response_body, expires_at INTO stored
    FROM idempotency_keys WHERE tenant_id = p_tenant AND key = p_key;
  IF stored.expires_at <= now() THEN
    UPDATE idempotency_keys SET fingerprint = p_fingerprint, response_status = NULL, response_body = NULL,
           created_at = now(), expires_at = now() + interval '24 hours'
     WHERE tenant_id = p_tenant AND key = p_key;
    RETURN NULL;
  END IF;
  IF stored.fingerprint <> p_fingerprint THEN
    RAISE EXCEPTION 'idempotency key reused with a different request' USING ERRCODE = 'IEI22';
  END IF;
  RETURN jsonb_build_object('replayed', true, 'status', stored.response_status, 'body', stored.response_body);
END
$function$;

GRANT EXECUTE ON FUNCTION claim_idempotency_key(uuid, text, text) TO inventory_app;
