import type { DataSource } from 'typeorm';
import { APP_ROLE } from './database-roles.js';

/**
 * Tables without tenant_id, on purpose. Anything else without tenant_id is a failure: a new table that forgot
 * its tenant would otherwise be silently shared by every customer.
 */
export const GLOBAL_TABLES = new Set([
  'migrations',
  'tenants',
  'permissions',
  'reconciliation_runs',
  'backups',
]);

export interface SchemaCheck {
  subject: string;
  rule: string;
  ok: boolean;
  detail?: string;
}

interface TableRow {
  table: string;
  has_tenant_id: boolean;
  tenant_id_not_null: boolean | null;
  tenant_id_type: string | null;
  rls_enabled: boolean;
  rls_forced: boolean;
}

interface PolicyRow {
  table: string;
  policy: string;
  cmd: string;
  qual: string | null;
  with_check: string | null;
}

interface ConstraintRow {
  table: string;
  name: string;
  /** p primary key, u unique, x exclusion, f foreign key, i unique index that backs no constraint. */
  kind: 'p' | 'u' | 'x' | 'f' | 'i';
  /** Key columns in order; an expression appears as its text (e.g. `lower(code)`), never silently dropped. */
  columns: string[];
  referenced_table: string | null;
  referenced_columns: string[] | null;
  /** Foreign keys: confdeltype and confupdtype (a no action, r restrict, c cascade, n set null, d default). */
  on_delete: string | null;
  on_update: string | null;
  /** Exclusion constraints: the operator of the first column. */
  first_operator: string | null;
}

/**
 * Why each Citus rule exists (shown with a failure). Citus distributes every tenant table on tenant_id and
 * co-locates them, so a key can only be enforced on one shard when it contains tenant_id, and a foreign key
 * can only be checked on one shard when it maps tenant_id to tenant_id (docs/scaling.md, "Citus").
 */
const CITUS = {
  unique: 'Citus: a distributed table can only enforce keys that contain its distribution column tenant_id',
  exclusion: 'Citus: an exclusion constraint must contain tenant_id WITH =',
  foreignKey: 'Citus: a foreign key between distributed tables must map tenant_id to tenant_id',
  actions:
    'Citus: a foreign key containing tenant_id cannot ON DELETE SET NULL/SET DEFAULT or ON UPDATE CASCADE/SET NULL/SET DEFAULT',
  globalToTenant: 'Citus: a reference table cannot have a foreign key into a distributed table',
  type: 'Citus: co-located tables need one distribution column type',
};

const TENANT_PREDICATE = /current_setting\('app\.tenant_id'/;

/**
 * Checks the invariants of docs/design.md ("Database") against the live schema: every migration applied, and every
 * table with tenant_id has it NOT NULL, row-level security enabled and forced, a tenant policy, and primary
 * key and unique keys leading with tenant_id, and foreign keys into tenant tables mapping tenant_id to tenant_id
 * first, so no row can point into another tenant.
 */
export async function validateSchema(owner: DataSource): Promise<SchemaCheck[]> {
  const checks: SchemaCheck[] = [];
  const check = (subject: string, rule: string, ok: boolean, detail?: string) =>
    checks.push({ subject, rule, ok, detail });

  const known = new Set(owner.migrations.map((migration) => migration.name ?? migration.constructor.name));
  const applied = await owner
    .query<{ name: string }[]>(`select name from migrations order by id`)
    .catch(() => []);
  const appliedNames = new Set(applied.map((row) => row.name));
  const pending = [...known].filter((name) => !appliedNames.has(name));
  const unknown = [...appliedNames].filter((name) => !known.has(name));
  check(
    'migrations',
    `all ${known.size} migrations applied`,
    pending.length === 0,
    pending.length ? `pending: ${pending.join(', ')}` : undefined,
  );
  check(
    'migrations',
    'no applied migration unknown to this build',
    unknown.length === 0,
    unknown.length ? `unknown: ${unknown.join(', ')}` : undefined,
  );

  const [role] = await owner.query<{ rolsuper: boolean; rolbypassrls: boolean; rolcanlogin: boolean }[]>(
    `select rolsuper, rolbypassrls, rolcanlogin from pg_roles where rolname = $1`,
    [APP_ROLE],
  );
  check(
    `role ${APP_ROLE}`,
    'exists, can log in, NOSUPERUSER NOBYPASSRLS',
    Boolean(role && role.rolcanlogin && !role.rolsuper && !role.rolbypassrls),
  );

  const tables = await owner.query<TableRow[]>(`
    select c.relname as table,
           a.attname is not null as has_tenant_id,
           a.attnotnull as tenant_id_not_null,
           format_type(a.atttypid, a.atttypmod) as tenant_id_type,
           c.relrowsecurity as rls_enabled,
           c.relforcerowsecurity as rls_forced
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
     where n.nspname = 'public' and c.relkind in ('r', 'p')
     order by c.relname`);
  const tenantTables = new Set(tables.filter((t) => t.has_tenant_id).map((t) => t.table));

  const policies = await owner.query<PolicyRow[]>(`
    select tablename as table, policyname as policy, cmd, qual, with_check
      from pg_policies where schemaname = 'public'`);
  // Keys of constraints and unique indexes are read from their index with pg_get_indexdef, so an expression
  // column shows as its text instead of vanishing (an index on (lower(code), tenant_id) must not pass as one
  // that leads with tenant_id).
  const constraints = await owner.query<ConstraintRow[]>(`
    with keys as (
      select con.conrelid as relid, con.conname as name, con.contype::text as kind, con.conindid as index_id,
             con.confrelid, con.conkey, con.confkey, con.confdeltype::text as on_delete,
             con.confupdtype::text as on_update, con.conexclop
        from pg_constraint con
       where con.contype in ('p', 'u', 'x', 'f')
      union all
      select ix.indrelid, idx.relname, 'i', ix.indexrelid, 0::oid, null, null, null, null, null
        from pg_index ix
        join pg_class idx on idx.oid = ix.indexrelid
       where ix.indisunique and not ix.indisprimary
         and not exists (select 1 from pg_constraint c
                          where c.conindid = ix.indexrelid and c.contype in ('p', 'u', 'x'))
    )
    select rel.relname as table, k.name, k.kind,
           case when k.kind = 'f' then
             array(select att.attname from unnest(k.conkey) with ordinality u(attnum, ord)
                   join pg_attribute att on att.attrelid = k.relid and att.attnum = u.attnum order by u.ord)::text[]
           else
             array(select pg_get_indexdef(k.index_id, n, true)
                     from generate_series(1, (select ix.indnkeyatts from pg_index ix where ix.indexrelid = k.index_id)) n
                    order by n)::text[]
           end as columns,
           ref.relname as referenced_table,
           case when k.kind = 'f' then
             array(select att.attname from unnest(k.confkey) with ordinality u(attnum, ord)
                   join pg_attribute att on att.attrelid = k.confrelid and att.attnum = u.attnum order by u.ord)::text[]
           end as referenced_columns,
           case when k.kind = 'f' then k.on_delete end as on_delete,
           case when k.kind = 'f' then k.on_update end as on_update,
           case when k.kind = 'x' then (select o.oprname from pg_operator o where o.oid = k.conexclop[1]) end
             as first_operator
      from keys k
      join pg_class rel on rel.oid = k.relid
      join pg_namespace n on n.oid = rel.relnamespace
      left join pg_class ref on ref.oid = k.confrelid
     where n.nspname = 'public'`);

  for (const table of tables) {
    const own = constraints.filter((c) => c.table === table.table);
    if (!table.has_tenant_id) {
      const declared = GLOBAL_TABLES.has(table.table);
      check(
        table.table,
        'global table is declared global',
        declared,
        declared ? undefined : 'no tenant_id column and not in GLOBAL_TABLES',
      );
      // Global tables become Citus reference tables (or stay local on the coordinator); neither can point
      // into a distributed table.
      for (const foreign of own.filter((c) => c.kind === 'f' && tenantTables.has(c.referenced_table ?? ''))) {
        check(
          table.table,
          `foreign key ${foreign.name} of a global table does not point into tenant table ${foreign.referenced_table}`,
          false,
          `${describeForeignKey(foreign)}: ${CITUS.globalToTenant}`,
        );
      }
      continue;
    }
    check(table.table, 'tenant_id is NOT NULL', Boolean(table.tenant_id_not_null));
    check(
      table.table,
      'tenant_id is uuid',
      table.tenant_id_type === 'uuid',
      table.tenant_id_type === 'uuid' ? undefined : `(${table.tenant_id_type}): ${CITUS.type}`,
    );
    check(table.table, 'row-level security enabled', table.rls_enabled);
    check(table.table, 'row-level security forced', table.rls_forced);
    const tenantPolicies = policies.filter(
      (p) =>
        p.table === table.table &&
        TENANT_PREDICATE.test(p.qual ?? '') &&
        (p.with_check === null || TENANT_PREDICATE.test(p.with_check)),
    );
    check(
      table.table,
      'has a tenant policy on app.tenant_id (USING and WITH CHECK)',
      tenantPolicies.length > 0,
    );

    const primaryKey = own.find((c) => c.kind === 'p');
    const primaryOk = primaryKey?.columns[0] === 'tenant_id';
    check(
      table.table,
      'primary key leads with tenant_id',
      primaryOk,
      primaryKey
        ? withReason(`(${primaryKey.columns.join(', ')})`, primaryOk, CITUS.unique)
        : 'no primary key',
    );
    for (const unique of own.filter((c) => c.kind === 'u' || c.kind === 'i')) {
      const ok = unique.columns[0] === 'tenant_id';
      check(
        table.table,
        `unique ${unique.name} leads with tenant_id`,
        ok,
        withReason(`(${unique.columns.join(', ')})`, ok, CITUS.unique),
      );
    }
    for (const exclusion of own.filter((c) => c.kind === 'x')) {
      const ok = exclusion.columns[0] === 'tenant_id' && exclusion.first_operator === '=';
      check(
        table.table,
        `exclusion constraint ${exclusion.name} leads with tenant_id WITH =`,
        ok,
        withReason(`(${exclusion.columns[0]} WITH ${exclusion.first_operator}, ...)`, ok, CITUS.exclusion),
      );
    }
    for (const foreign of own.filter((c) => c.kind === 'f')) {
      const intoTenantTable = foreign.referenced_table !== null && tenantTables.has(foreign.referenced_table);
      // A key into a global table (a Citus reference table, e.g. the permission catalog) needs no tenant_id;
      // a key into another tenant table must lead with tenant_id and map it to tenant_id.
      const ok =
        !intoTenantTable ||
        (foreign.columns[0] === 'tenant_id' && foreign.referenced_columns?.[0] === 'tenant_id');
      check(
        table.table,
        intoTenantTable
          ? `foreign key ${foreign.name} leads with tenant_id and stays in the tenant`
          : `foreign key ${foreign.name} points at a global table`,
        ok,
        withReason(describeForeignKey(foreign), ok, CITUS.foreignKey),
      );
      if (foreign.columns.includes('tenant_id')) {
        // The referential action must never write tenant_id: a row cannot move between shards.
        const keepsTenant =
          !['n', 'd'].includes(foreign.on_delete ?? '') && !['c', 'n', 'd'].includes(foreign.on_update ?? '');
        check(
          table.table,
          `foreign key ${foreign.name} never rewrites tenant_id (ON DELETE/ON UPDATE)`,
          keepsTenant,
          keepsTenant
            ? undefined
            : `on delete ${ACTIONS[foreign.on_delete ?? ''] ?? foreign.on_delete}, on update ${
                ACTIONS[foreign.on_update ?? ''] ?? foreign.on_update
              }: ${CITUS.actions}`,
        );
      }
    }
  }
  return checks;
}

const ACTIONS: Record<string, string> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};

function describeForeignKey(foreign: ConstraintRow): string {
  return `(${foreign.columns.join(', ')}) -> ${foreign.referenced_table}(${foreign.referenced_columns?.join(', ')})`;
}

/** The detail, with the rule's reason appended when the check failed. */
function withReason(detail: string, ok: boolean, reason: string): string {
  return ok ? detail : `${detail}: ${reason}`;
}

export function formatSchemaReport(checks: SchemaCheck[]): string {
  const lines = checks.map(
    (c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.subject}: ${c.rule}${c.detail ? ` ${c.detail}` : ''}`,
  );
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(`${checks.length} checks, ${failed} failed`);
  return lines.join('\n');
}
