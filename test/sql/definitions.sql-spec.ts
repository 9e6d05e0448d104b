import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cp, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { migrationDataSourceOptions } from '../../src/platform/database/data-source-options.js';
import { SQL_DEFINITIONS_DIR, checkSqlDefinitions } from '../../src/platform/database/sql-definitions.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

/** The drift check (npm run db:check): db/ against the database the migrations built. */
describe('db/ holds the definition of every function and trigger', () => {
  const opened: { database: TestDatabase; owner: DataSource }[] = [];
  let copies: string;

  /** A fresh clone of the migrated template, as its owner. */
  async function migrated(): Promise<DataSource> {
    const database = await createTestDatabase();
    const owner = await new DataSource(migrationDataSourceOptions(database.url, 'drift-test')).initialize();
    opened.push({ database, owner });
    return owner;
  }

  /** A copy of db/ to change. */
  async function copyOfDefinitions(): Promise<string> {
    const dir = await mkdtemp(join(copies, 'db-'));
    await cp(SQL_DEFINITIONS_DIR, dir, { recursive: true });
    return dir;
  }

  beforeAll(async () => {
    copies = await mkdtemp(join(tmpdir(), 'sql-definitions-'));
  });
  afterAll(async () => {
    for (const { database, owner } of opened) {
      await owner.destroy();
      await database.drop();
    }
    await rm(copies, { recursive: true, force: true });
  });

  it('the migrated database and db/ agree', async () => {
    expect(await checkSqlDefinitions(await migrated())).toEqual([]);
  });

  it('finds a function changed in the database, and leaves the database as it was', async () => {
    const owner = await migrated();
    await owner.query(`
      CREATE OR REPLACE FUNCTION refuse_ledger_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'changed by hand'; END $$`);
    expect(await checkSqlDefinitions(owner)).toEqual([
      { kind: 'function', name: 'refuse_ledger_change()', problem: 'differs' },
    ]);
    const [{ source }] = await owner.query<[{ source: string }]>(
      `select prosrc as source from pg_proc where proname = 'refuse_ledger_change'`,
    );
    expect(source).toContain('changed by hand');
  });

  it('finds a file changed, a function without a file, a file without a function', async () => {
    const dir = await copyOfDefinitions();
    const file = join(dir, 'functions', 'ledger_document.sql');
    await writeFile(file, (await readFile(file, 'utf8')).replace("'uom', l.uom", "'unit', l.uom"));
    await unlink(join(dir, 'functions', 'refuse_audit_change.sql'));
    await writeFile(
      join(dir, 'functions', 'extra.sql'),
      `CREATE OR REPLACE FUNCTION extra_function() RETURNS integer LANGUAGE sql AS $$ SELECT 1 $$;`,
    );
    expect(await checkSqlDefinitions(await migrated(), dir)).toEqual([
      { kind: 'function', name: 'extra_function()', problem: 'not in the database' },
      { kind: 'function', name: 'ledger_document(l inventory_ledger, lot_code text)', problem: 'differs' },
      { kind: 'function', name: 'refuse_audit_change()', problem: 'no file' },
    ]);
  });

  it('finds a changed grant', async () => {
    const owner = await migrated();
    await owner.query(`REVOKE EXECUTE ON FUNCTION movement_document(uuid) FROM inventory_app`);
    expect(await checkSqlDefinitions(owner)).toEqual([
      { kind: 'function', name: 'movement_document(p_movement uuid)', problem: 'differs' },
    ]);
  });

  it('finds a second signature of one function', async () => {
    const owner = await migrated();
    await owner.query(`
      CREATE FUNCTION enter_tenant(p_tenant uuid) RETURNS void LANGUAGE sql AS $$ SELECT $$`);
    expect(await checkSqlDefinitions(owner)).toEqual([
      { kind: 'function', name: 'enter_tenant', problem: 'overloaded' },
      { kind: 'function', name: 'enter_tenant(p_tenant uuid)', problem: 'no file' },
    ]);
  });

  it('finds a trigger changed, missing from the files, or only in the files', async () => {
    const owner = await migrated();
    await owner.query(`DROP TRIGGER items_limit ON items`);
    await owner.query(`
      CREATE TRIGGER items_limit BEFORE INSERT ON items
        FOR EACH ROW EXECUTE FUNCTION enforce_tenant_limit('maxItems', 'true')`);
    await owner.query(`
      CREATE TRIGGER tenants_by_hand AFTER UPDATE ON tenants FOR EACH ROW EXECUTE FUNCTION notify_access_changed('id')`);
    await owner.query(`DROP TRIGGER audit_logs_no_truncate ON audit_logs`);
    expect(await checkSqlDefinitions(owner)).toEqual([
      { kind: 'trigger', name: 'audit_logs.audit_logs_no_truncate', problem: 'not in the database' },
      { kind: 'trigger', name: 'items.items_limit', problem: 'differs' },
      { kind: 'trigger', name: 'tenants.tenants_by_hand', problem: 'no file' },
    ]);
  });
});
