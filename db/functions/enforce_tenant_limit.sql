-- BEFORE INSERT trigger for the tenant limits in tenants.settings.limits (maxUsers, maxItems, maxLocations):
-- arguments are the limit's key and the condition of a counted row. SQLSTATE IEL01 -> 409 tenant-limit-reached.
CREATE OR REPLACE FUNCTION enforce_tenant_limit()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  limit_key text := TG_ARGV[0];
  counted_when text := TG_ARGV[1];
  allowed bigint;
  used bigint;
BEGIN
  -- The tenant row lock serialises concurrent creations in one tenant, so the count below is exact.
  SELECT (settings -> 'limits' ->> limit_key)::bigint INTO allowed
    FROM tenants WHERE id = NEW.tenant_id FOR NO KEY UPDATE;
  IF allowed IS NULL THEN
    RETURN NEW;
  END IF;
  EXECUTE format('SELECT count(*) FROM %I.%I WHERE tenant_id = $1 AND (%s)',
                 TG_TABLE_SCHEMA, TG_TABLE_NAME, counted_when)
    INTO used USING NEW.tenant_id;
  IF used >= allowed THEN
    RAISE EXCEPTION 'tenant limit % of % reached', limit_key, allowed
      USING ERRCODE = 'IEL01', DETAIL = limit_key, HINT = allowed::text;
  END IF;
  RETURN NEW;
END
$function$;
