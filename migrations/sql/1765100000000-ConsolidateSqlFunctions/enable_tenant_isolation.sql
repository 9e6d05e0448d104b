-- Row-level security for a tenant table: enabled and forced (the owner too, unless superuser), with the one
-- policy every tenant table has. Called by migrations for each table with tenant_id.
CREATE OR REPLACE FUNCTION enable_tenant_isolation(target regclass)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
  EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
  -- NULLIF: once a pooled session has used the setting, "unset" reads as '' and ''::uuid would raise.
  EXECUTE format(
    'CREATE POLICY tenant_isolation ON %s
       USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)
       WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
    target);
END
$function$;
