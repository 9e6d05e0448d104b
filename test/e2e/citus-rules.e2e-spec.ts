import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runCli } from '../support/cli.js';
import { parseEnvironment, type Environment } from '../../src/platform/config/environment.js';
import { databaseEndpoints, type DatabaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import { GLOBAL_TABLES } from '../../src/platform/database/schema-validator.js';
import { TEST_JWT_SECRET } from '../support/test-app.js';
import { TEST_APP_PASSWORD, createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

const ROOT = resolve(import.meta.dirname, '../..');

/**
 * `npm run validate:migration` against a throwaway database: the same command in-process (what the npm script runs
 * after building), with its report and exit code.
 */
async function validateMigration(
  env: Environment,
  endpoints: DatabaseEndpoints,
): Promise<{ code: number; stdout: string; failures: string[] }> {
  const { code, stdout, stderr } = await runCli(env, endpoints, ['validate:migration']);
  expect(stderr).toBe('');
  const failures = stdout.split('\n').filter((line) => line.startsWith('FAIL'));
  return { code, stdout, failures };
}

/** A tenant table that keeps every tenancy rule (NOT NULL uuid tenant_id, RLS forced, the policy). */
function tenantTable(name: string, columns: string): string {
  return `create table ${name} (tenant_id uuid not null references tenants(id), id uuid not null,
            ${columns}, primary key (tenant_id, id));
          select enable_tenant_isolation('${name}'::regclass);`;
}

describe('validate:migration: the Citus rules', () => {
  let database: TestDatabase;
  let env: Environment;
  let endpoints: DatabaseEndpoints;

  beforeAll(async () => {
    database = await createTestDatabase();
    env = parseEnvironment({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      MIGRATIONS_RUN: 'false',
      DATABASE_URL: database.url,
      DATABASE_APP_PASSWORD: TEST_APP_PASSWORD,
      JWT_SECRET: TEST_JWT_SECRET,
    });
    endpoints = databaseEndpoints(env, database.url);
  });
  afterAll(() => database.drop());

  it('passes on the migrated schema', async () => {
    const result = await validateMigration(env, endpoints);
    expect(result.failures).toEqual([]);
    expect(result.stdout).toMatch(/^\d+ checks, 0 failed$/m);
    expect(result.code).toBe(0);
  });

  it('fails every kind of violation with a line naming table, rule and reason, and passes once they are gone', async () => {
    await database.query(`
      ${tenantTable('citus_codes', 'code text not null, label text not null')}
      -- an expression first: must not pass as "leads with tenant_id" because the expression has no column
      create unique index citus_codes_lower_code on citus_codes (lower(code), tenant_id);
      -- not backed by a constraint, partial, and without tenant_id at all
      create unique index citus_codes_label on citus_codes (label) where label <> '';
      -- a well-formed exclusion constraint and one that does not lead with tenant_id WITH =
      alter table citus_codes add constraint citus_codes_code_excl exclude using btree (tenant_id with =, code with =);
      alter table citus_codes add constraint citus_codes_label_excl exclude using btree (label with =, tenant_id with =);

      ${tenantTable('citus_lines', 'item_id uuid not null, source_tenant uuid not null, lot_id uuid')}
      -- tenant_id is in it, but not first on either side
      alter table citus_lines add constraint citus_lines_item_fkey
        foreign key (item_id, tenant_id) references items (id, tenant_id);
      -- cross-tenant: the row's tenant is not the referenced row's tenant
      alter table citus_lines add constraint citus_lines_source_fkey
        foreign key (source_tenant, item_id) references items (tenant_id, id);
      -- leads with tenant_id, but its action would write tenant_id-bearing keys (Citus refuses it)
      alter table citus_lines add constraint citus_lines_lot_fkey
        foreign key (tenant_id, lot_id) references lots (tenant_id, id) on delete set null (lot_id);

      create table citus_text_tenant (tenant_id text not null, id uuid not null, primary key (tenant_id, id));
      alter table citus_text_tenant enable row level security, force row level security;
      create policy tenant_isolation on citus_text_tenant
        using (tenant_id = current_setting('app.tenant_id', true))
        with check (tenant_id = current_setting('app.tenant_id', true));

      -- a global table (a reference table under Citus) pointing into a tenant table
      alter table backups add column item_tenant uuid, add column item_id uuid,
        add constraint backups_item_fkey foreign key (item_tenant, item_id) references items (tenant_id, id);
    `);

    const failed = await validateMigration(env, endpoints);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^\d+ checks, 8 failed$/m);
    expect(failed.failures.sort()).toEqual(
      [
        'FAIL  backups: foreign key backups_item_fkey of a global table does not point into tenant table items ' +
          '(item_tenant, item_id) -> items(tenant_id, id): ' +
          'Citus: a reference table cannot have a foreign key into a distributed table',
        'FAIL  citus_codes: exclusion constraint citus_codes_label_excl leads with tenant_id WITH = ' +
          '(label WITH =, ...): Citus: an exclusion constraint must contain tenant_id WITH =',
        'FAIL  citus_codes: unique citus_codes_label leads with tenant_id (label): ' +
          'Citus: a distributed table can only enforce keys that contain its distribution column tenant_id',
        'FAIL  citus_codes: unique citus_codes_lower_code leads with tenant_id (lower(code), tenant_id): ' +
          'Citus: a distributed table can only enforce keys that contain its distribution column tenant_id',
        'FAIL  citus_lines: foreign key citus_lines_item_fkey leads with tenant_id and stays in the tenant ' +
          '(item_id, tenant_id) -> items(id, tenant_id): ' +
          'Citus: a foreign key between distributed tables must map tenant_id to tenant_id',
        'FAIL  citus_lines: foreign key citus_lines_lot_fkey never rewrites tenant_id (ON DELETE/ON UPDATE) ' +
          'on delete set null, on update no action: Citus: a foreign key containing tenant_id cannot ' +
          'ON DELETE SET NULL/SET DEFAULT or ON UPDATE CASCADE/SET NULL/SET DEFAULT',
        'FAIL  citus_lines: foreign key citus_lines_source_fkey leads with tenant_id and stays in the tenant ' +
          '(source_tenant, item_id) -> items(tenant_id, id): ' +
          'Citus: a foreign key between distributed tables must map tenant_id to tenant_id',
        'FAIL  citus_text_tenant: tenant_id is uuid (text): ' +
          'Citus: co-located tables need one distribution column type',
      ].sort(),
    );
    // The well-formed neighbours pass.
    expect(failed.stdout).toContain(
      'ok    citus_codes: exclusion constraint citus_codes_code_excl leads with tenant_id WITH = (tenant_id WITH =, ...)',
    );
    expect(failed.stdout).toContain(
      'ok    citus_lines: foreign key citus_lines_lot_fkey leads with tenant_id and stays in the tenant',
    );

    await database.query(`
      drop table citus_codes, citus_lines, citus_text_tenant;
      alter table backups drop column item_tenant, drop column item_id;
    `);
    const passed = await validateMigration(env, endpoints);
    expect(passed.failures).toEqual([]);
    expect(passed.code).toBe(0);
  });

  it('docs/scaling.md distributes every tenant table and references every global table they point at, in order', async () => {
    const doc = readFileSync(join(ROOT, 'docs/scaling.md'), 'utf8');
    const calls = [
      ...doc.matchAll(
        /create_(reference|distributed)_table\('(\w+)'(?:, '(\w+)')?(?:, colocate_with => '(\w+)')?\)/g,
      ),
    ].map(([, kind, table, column, colocateWith], position) => ({
      kind,
      table,
      column,
      colocateWith,
      position,
    }));
    const reference = calls.filter((call) => call.kind === 'reference');
    const distributed = calls.filter((call) => call.kind === 'distributed');

    const tenantTables = (
      await database.query<{ table: string }>(
        `select c.relname as table from pg_class c
           join pg_namespace n on n.oid = c.relnamespace
           join pg_attribute a on a.attrelid = c.oid and a.attname = 'tenant_id' and not a.attisdropped
          where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition`,
      )
    ).map((row) => row.table);
    const foreignKeys = await database.query<{ from: string; to: string }>(
      `select distinct rel.relname as from, ref.relname as to from pg_constraint con
         join pg_class rel on rel.oid = con.conrelid join pg_class ref on ref.oid = con.confrelid
         join pg_namespace n on n.oid = rel.relnamespace
        where con.contype = 'f' and n.nspname = 'public' and rel.oid <> ref.oid`,
    );

    // Every tenant table exactly once, on tenant_id, all in the first distributed table's co-location group.
    expect(distributed.map((call) => call.table).sort()).toEqual([...tenantTables].sort());
    expect(distributed.every((call) => call.column === 'tenant_id')).toBe(true);
    const [root, ...rest] = distributed;
    expect(root.colocateWith).toBeUndefined();
    expect(rest.every((call) => call.colocateWith === root.table)).toBe(true);

    // Reference tables: global, first, and every global table a tenant table points at.
    expect(reference.every((call) => GLOBAL_TABLES.has(call.table))).toBe(true);
    expect(Math.max(...reference.map((call) => call.position))).toBeLessThan(root.position);
    const pointedAt = new Set(
      foreignKeys
        .filter((fk) => tenantTables.includes(fk.from) && !tenantTables.includes(fk.to))
        .map((fk) => fk.to),
    );
    expect(pointedAt.size).toBeGreaterThan(0);
    expect([...pointedAt].filter((table) => !reference.some((call) => call.table === table))).toEqual([]);

    // Parents before children: no table is distributed before a tenant table its foreign keys point at.
    const positionOf = new Map(distributed.map((call) => [call.table, call.position]));
    const outOfOrder = foreignKeys.filter(
      (fk) =>
        positionOf.has(fk.from) && positionOf.has(fk.to) && positionOf.get(fk.to)! > positionOf.get(fk.from)!,
    );
    expect(outOfOrder).toEqual([]);

    // Each global table is accounted for in the text (reference table or local on the coordinator).
    for (const table of GLOBAL_TABLES) expect(doc).toContain(`\`${table}\``);
  });
});
