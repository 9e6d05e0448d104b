-- NOTIFY access_changed with the tenant id after a change to users, roles, permissions, API keys or tenants, so
-- every replica drops its cached principals (docs/adr/0008-tenant-context-and-principal-lookup.md). TG_ARGV[0]
-- names the tenant column (id for tenants, tenant_id elsewhere); identical notifications within one
-- transaction are folded into one by PostgreSQL.
CREATE OR REPLACE FUNCTION notify_access_changed()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  -- TG_ARGV[0] names the tenant column (id for tenants, tenant_id elsewhere). Identical notifications
  -- within one transaction are folded into one by PostgreSQL.
  PERFORM pg_notify('access_changed',
    to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> TG_ARGV[0]);
  RETURN NULL;
END
$function$;
