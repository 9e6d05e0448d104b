-- Writes an audit_logs entry for every audited row change (db/triggers/*.sql name the tables). Who acts comes from
-- the transaction-local app.audit (enter_tenant); the action is "<entity>.created|updated|deleted" unless the
-- code names it in app.audit_action (e.g. user.erased). Arguments: entity type, id column, columns redacted
-- ("[redacted]": secrets and personal data, so the append-only log never needs rewriting), bookkeeping columns
-- whose change alone is not worth an entry.
CREATE OR REPLACE FUNCTION audit_row_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
  entity_type text := TG_ARGV[0];
  id_column text := TG_ARGV[1];
  hidden text[] := TG_ARGV[2]::text[];
  bookkeeping text[] := TG_ARGV[3]::text[];
  origin jsonb := nullif(current_setting('app.audit', true), '')::jsonb;
  named_action text := nullif(current_setting('app.audit_action', true), '');
  old_row jsonb;
  new_row jsonb;
  identity jsonb;
  secret text;
BEGIN
  IF TG_OP <> 'INSERT' THEN old_row := to_jsonb(OLD); END IF;
  IF TG_OP <> 'DELETE' THEN new_row := to_jsonb(NEW); END IF;
  IF TG_OP = 'UPDATE' AND (old_row - bookkeeping) = (new_row - bookkeeping) THEN
    RETURN NULL;
  END IF;
  identity := coalesce(new_row, old_row);
  FOREACH secret IN ARRAY hidden LOOP
    IF old_row ->> secret IS NOT NULL THEN old_row := jsonb_set(old_row, ARRAY[secret], '"[redacted]"'); END IF;
    IF new_row ->> secret IS NOT NULL THEN new_row := jsonb_set(new_row, ARRAY[secret], '"[redacted]"'); END IF;
  END LOOP;
  INSERT INTO audit_logs (tenant_id, actor_id, actor_kind, actor_name, action, entity_type, entity_id,
                          before, after, request_id, ip)
  VALUES ((identity ->> 'tenant_id')::uuid,
          (origin ->> 'actorId')::uuid,
          coalesce(origin ->> 'actorKind', 'system'),
          origin ->> 'actorName',
          coalesce(named_action, entity_type || '.' ||
            CASE TG_OP WHEN 'INSERT' THEN 'created' WHEN 'UPDATE' THEN 'updated' ELSE 'deleted' END),
          entity_type,
          identity ->> id_column,
          old_row - 'tenant_id',
          new_row - 'tenant_id',
          origin ->> 'requestId',
          origin ->> 'ip');
  RETURN NULL;
END
$function$;
