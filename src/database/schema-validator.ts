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
  kind: 'p' | 'u' | 'f' | 'i';
  columns: string[];
  referenced_table: string | null;
  referenced_columns: string[] | null;
}

const TENANT_PREDICATE = /current_setting\('app\.tenant_id'/;

/**
 * Checks the invariants of DESIGN.md ("Database") against the live schema: every migration applied, and every
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
  const constraints = await owner.query<ConstraintRow[]>(`
    select rel.relname as table, con.conname as name, con.contype as kind,
           array(select att.attname from unnest(con.conkey) with ordinality k(attnum, ord)
                 join pg_attribute att on att.attrelid = con.conrelid and att.attnum = k.attnum order by k.ord)::text[] as columns,
           ref.relname as referenced_table,
           case when con.contype = 'f' then
             array(select att.attname from unnest(con.confkey) with ordinality k(attnum, ord)
                   join pg_attribute att on att.attrelid = con.confrelid and att.attnum = k.attnum order by k.ord)::text[]
           end as referenced_columns
      from pg_constraint con
      join pg_class rel on rel.oid = con.conrelid
      join pg_namespace n on n.oid = rel.relnamespace
      left join pg_class ref on ref.oid = con.confrelid
     where n.nspname = 'public' and con.contype in ('p', 'u', 'f')
    union all
    select tbl.relname, idx.relname, 'i',
           array(select att.attname from unnest(ix.indkey::int2[]) with ordinality k(attnum, ord)
                 join pg_attribute att on att.attrelid = ix.indrelid and att.attnum = k.attnum order by k.ord)::text[],
           null, null
      from pg_index ix
      join pg_class idx on idx.oid = ix.indexrelid
      join pg_class tbl on tbl.oid = ix.indrelid
      join pg_namespace n on n.oid = tbl.relnamespace
     where n.nspname = 'public' and ix.indisunique and not ix.indisprimary
       and not exists (select 1 from pg_constraint c where c.conindid = ix.indexrelid)`);

  for (const table of tables) {
    if (!table.has_tenant_id) {
      const declared = GLOBAL_TABLES.has(table.table);
      check(
        table.table,
        'global table is declared global',
        declared,
        declared ? undefined : 'no tenant_id column and not in GLOBAL_TABLES',
      );
      continue;
    }
    check(table.table, 'tenant_id is NOT NULL', Boolean(table.tenant_id_not_null));
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

    const own = constraints.filter((c) => c.table === table.table);
    const primaryKey = own.find((c) => c.kind === 'p');
    check(
      table.table,
      'primary key leads with tenant_id',
      primaryKey?.columns[0] === 'tenant_id',
      primaryKey ? `(${primaryKey.columns.join(', ')})` : 'no primary key',
    );
    for (const unique of own.filter((c) => c.kind === 'u' || c.kind === 'i')) {
      check(
        table.table,
        `unique ${unique.name} leads with tenant_id`,
        unique.columns[0] === 'tenant_id',
        `(${unique.columns.join(', ')})`,
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
        `(${foreign.columns.join(', ')}) -> ${foreign.referenced_table}(${foreign.referenced_columns?.join(', ')})`,
      );
    }
  }
  return checks;
}

export function formatSchemaReport(checks: SchemaCheck[]): string {
  const lines = checks.map(
    (c) => `${c.ok ? 'ok  ' : 'FAIL'}  ${c.subject}: ${c.rule}${c.detail ? ` ${c.detail}` : ''}`,
  );
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(`${checks.length} checks, ${failed} failed`);
  return lines.join('\n');
}
