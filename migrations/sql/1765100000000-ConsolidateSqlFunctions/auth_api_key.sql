-- Authenticates an API key in one statement: enters the key's tenant (row-level security needs the tenant
-- before a key row is visible), stamps last_used_at at most once a minute, and returns the key's state and its
-- role's permissions.
CREATE OR REPLACE FUNCTION auth_api_key(p_tenant uuid, p_key_hash bytea)
 RETURNS TABLE(id uuid, revoked boolean, expired boolean, expires_at timestamp with time zone, permissions text[])
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
  -- Meant to run as a statement of its own; inside a transaction of another tenant enter_tenant refuses.
  PERFORM enter_tenant(p_tenant, NULL);
  UPDATE api_keys k SET last_used_at = now()
   WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash AND k.revoked_at IS NULL
     AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
  RETURN QUERY
    SELECT k.id, k.revoked_at IS NOT NULL, coalesce(k.expires_at <= now(), false), k.expires_at,
           array(SELECT rp.permission FROM role_permissions rp
                  WHERE rp.tenant_id = k.tenant_id AND rp.role_id = k.role_id ORDER BY 1)
      FROM api_keys k
     WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash;
END
$function$;

GRANT EXECUTE ON FUNCTION auth_api_key(uuid, bytea) TO inventory_app;
