-- The one way into a tenant, for SQL and TypeScript alike: every transaction that touches tenant data starts
-- with it (TenantTransactions, the maintenance jobs, the webhook dispatcher, the export) and every function that
-- takes p_tenant calls it first. Both settings are transaction-local, so a pooled connection never carries a
-- tenant or an actor into the next transaction.
--   app.tenant_id  read by every row-level security policy (enable_tenant_isolation)
--   app.audit      who acts, for the audit triggers (audit_row_change): {actorId, actorKind, actorName,
--                  requestId, ip}; NULL keeps what the transaction already set
-- A transaction that already belongs to another tenant is refused: switching would let one request's work
-- run under another tenant's policies.
CREATE OR REPLACE FUNCTION enter_tenant(p_tenant uuid, p_audit jsonb)
 RETURNS void
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF p_tenant IS NULL THEN
    RAISE EXCEPTION 'enter_tenant: the tenant is required';
  END IF;
  IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
    RAISE EXCEPTION 'a transaction of another tenant is open';
  END IF;
  PERFORM set_config('app.tenant_id', p_tenant::text, true);
  IF p_audit IS NOT NULL THEN
    PERFORM set_config('app.audit', p_audit::text, true);
  END IF;
END
$function$;

GRANT EXECUTE ON FUNCTION enter_tenant(uuid, jsonb) TO inventory_app;
