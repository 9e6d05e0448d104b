import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit log: one row per change of a tenant's data, written by triggers in the transaction of the change,
 * so that no code path (API, CLI, job) can change audited data without leaving a row. Who acted comes from the
 * transaction-local setting `app.audit` ({ actorId, actorKind, actorName, requestId, ip }) that
 * TenantTransactions sets next to `app.tenant_id`. Secrets and personal data are never copied into it (they
 * appear as "[redacted]"), so the append-only log never has to be rewritten for a GDPR erasure.
 */
export class CreateAuditLogs1764800000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);

    await q(`
      CREATE TABLE audit_logs (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        actor_id uuid,
        actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'api-key', 'system')),
        actor_name text,
        action text NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
        entity_type text NOT NULL,
        entity_id text,
        before jsonb,
        after jsonb,
        request_id text,
        ip text,
        -- clock_timestamp(): rows of one transaction keep the order in which the changes happened
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q(`CREATE INDEX audit_logs_created ON audit_logs (tenant_id, created_at, id)`);
    await q(`CREATE INDEX audit_logs_entity ON audit_logs (tenant_id, entity_type, entity_id, created_at)`);
    await q(`CREATE INDEX audit_logs_actor ON audit_logs (tenant_id, actor_id, created_at)`);
    await q(`SELECT enable_tenant_isolation('audit_logs'::regclass)`);
    // Listing denials next to changes pages over (created_at, id) of both tables.
    await q(`CREATE INDEX rbac_audit_log_created_id ON rbac_audit_log (tenant_id, created_at, id)`);
    await q(`DROP INDEX rbac_audit_log_created`);

    // Append-only like the ledger. The retention job (owner connection) deletes old rows after declaring
    // itself with a transaction-local setting; nothing else can, and nobody can UPDATE.
    await q(`
      CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' AND current_setting('app.audit_retention', true) = 'on' THEN
          RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'IEA02';
      END $$`);
    await q(`
      CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
        FOR EACH ROW EXECUTE FUNCTION refuse_audit_change()`);
    await q(`
      CREATE TRIGGER audit_logs_no_truncate BEFORE TRUNCATE ON audit_logs
        FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change()`);

    // TG_ARGV: entity type, the column that identifies the entity, columns never copied (secrets, personal
    // data), and bookkeeping columns whose change alone is not an audited change (last use, delivery counters).
    // The action is "<entity>.created|updated|deleted" unless the code names it (app.audit_action, e.g.
    // user.erased) for the statement that makes the change.
    await q(`
      CREATE FUNCTION audit_row_change() RETURNS trigger LANGUAGE plpgsql AS $$
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
      END $$`);

    const audited: Array<{
      table: string;
      entity: string;
      id: string;
      hidden?: string[];
      bookkeeping?: string[];
    }> = [
      { table: 'items', entity: 'item', id: 'id' },
      { table: 'item_uoms', entity: 'item_uom', id: 'item_id' },
      { table: 'locations', entity: 'location', id: 'id' },
      { table: 'inventory_movements', entity: 'movement', id: 'id' },
      { table: 'count_sheets', entity: 'count_sheet', id: 'id' },
      { table: 'users', entity: 'user', id: 'id', hidden: ['email', 'name', 'password_hash'] },
      { table: 'roles', entity: 'role', id: 'id' },
      { table: 'role_permissions', entity: 'role_permission', id: 'role_id' },
      { table: 'user_roles', entity: 'user_role', id: 'user_id' },
      { table: 'api_keys', entity: 'api_key', id: 'id', hidden: ['key_hash'], bookkeeping: ['last_used_at'] },
      {
        table: 'webhook_endpoints',
        entity: 'webhook_endpoint',
        id: 'id',
        hidden: ['secret_encrypted', 'previous_secret_encrypted'],
        bookkeeping: ['last_success_at', 'last_failure_at', 'failure_count', 'updated_at'],
      },
    ];
    for (const { table, entity, id, hidden = [], bookkeeping = [] } of audited) {
      const array = (values: string[]) => `'{${values.join(',')}}'`;
      await q(`
        CREATE TRIGGER ${table}_audit AFTER INSERT OR UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION audit_row_change('${entity}', '${id}', ${array(hidden)}, ${array(bookkeeping)})`);
    }
    // Count lines: the lines a sheet snapshots at creation are part of the sheet's own "created" row (a sheet
    // can have tens of thousands); lines added by hand and every counted quantity are audited one by one.
    await q(`
      CREATE TRIGGER count_lines_audit_insert AFTER INSERT ON count_lines
        FOR EACH ROW WHEN (NOT NEW.in_snapshot) EXECUTE FUNCTION audit_row_change('count_line', 'id', '{}', '{}')`);
    await q(`
      CREATE TRIGGER count_lines_audit_change AFTER UPDATE OR DELETE ON count_lines
        FOR EACH ROW EXECUTE FUNCTION audit_row_change('count_line', 'id', '{}', '{}')`);

    // The hot path posts a movement in one statement, so it passes who acts instead of a set_config before it.
    await q(`
      CREATE FUNCTION post_movement(
        p_tenant uuid, p_actor uuid, p_actor_kind text, p_idempotency_key text, p_fingerprint text,
        p_movement jsonb, p_audit jsonb
      ) RETURNS jsonb LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      BEGIN
        PERFORM set_config('app.audit', p_audit::text, true);
        RETURN post_movement(p_tenant, p_actor, p_actor_kind, p_idempotency_key, p_fingerprint, p_movement);
      END $$`);

    // One list for GET /api/audit-logs: changes and permission denials. security_invoker: the caller's
    // row-level security applies, not the view owner's.
    await q(`
      CREATE VIEW audit_trail WITH (security_invoker = true) AS
        SELECT tenant_id, id, created_at, actor_id, actor_kind, actor_name, action, entity_type, entity_id,
               before, after, request_id, ip
          FROM audit_logs
        UNION ALL
        SELECT tenant_id, id, created_at, coalesce(user_id, api_key_id),
               CASE WHEN user_id IS NOT NULL THEN 'user' WHEN api_key_id IS NOT NULL THEN 'api-key' ELSE 'anonymous' END,
               NULL, 'permission.denied', 'permission', permission, NULL,
               jsonb_build_object('method', method, 'route', route, 'permission', permission), request_id, ip
          FROM rbac_audit_log`);

    await q(`GRANT SELECT, INSERT ON audit_logs TO inventory_app`);
    await q(`GRANT SELECT ON audit_trail TO inventory_app`);
    await q(`
      GRANT EXECUTE ON FUNCTION post_movement(uuid, uuid, text, text, text, jsonb, jsonb) TO inventory_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP VIEW audit_trail`);
    await q(`DROP FUNCTION post_movement(uuid, uuid, text, text, text, jsonb, jsonb)`);
    for (const table of [
      'items',
      'item_uoms',
      'locations',
      'inventory_movements',
      'count_sheets',
      'users',
      'roles',
      'role_permissions',
      'user_roles',
      'api_keys',
      'webhook_endpoints',
    ]) {
      await q(`DROP TRIGGER ${table}_audit ON ${table}`);
    }
    await q(`DROP TRIGGER count_lines_audit_insert ON count_lines`);
    await q(`DROP TRIGGER count_lines_audit_change ON count_lines`);
    await q(`DROP FUNCTION audit_row_change()`);
    await q(`DROP TABLE audit_logs`);
    await q(`DROP FUNCTION refuse_audit_change()`);
    await q(`CREATE INDEX rbac_audit_log_created ON rbac_audit_log (tenant_id, created_at)`);
    await q(`DROP INDEX rbac_audit_log_created_id`);
  }
}
