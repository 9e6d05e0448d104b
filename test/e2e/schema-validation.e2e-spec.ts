import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/platform/database/data-source-options.js';
import { migrations } from '../../src/platform/database/migrations.js';
import { validateSchema } from '../../src/platform/database/schema-validator.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

describe('validate:migration invariants', () => {
  let database: TestDatabase;
  let owner: DataSource;

  beforeAll(async () => {
    database = await createTestDatabase();
    owner = await new DataSource(
      dataSourceOptions(database.url, { poolSize: 1, statementTimeoutMs: 0, applicationName: 'test' }),
    ).initialize();
  });
  afterAll(async () => {
    await owner.destroy();
    await database.drop();
  });

  it('passes on the migrated schema', async () => {
    const failures = (await validateSchema(owner)).filter((check) => !check.ok);
    expect(failures).toEqual([]);
  });

  it('fails a tenant table that breaks each rule, naming the rule', async () => {
    await owner.query(`create table bad_items (id uuid primary key, tenant_id uuid, sku text unique)`);
    await owner.query(
      `create table bad_lines (tenant_id uuid not null, id uuid, item_id uuid references bad_items(id), primary key (tenant_id, id))`,
    );
    await owner.query(`alter table bad_lines enable row level security`);
    try {
      const failed = (await validateSchema(owner))
        .filter((check) => !check.ok)
        .map((check) => `${check.subject}: ${check.rule}`);
      expect(failed).toEqual(
        expect.arrayContaining([
          'bad_items: tenant_id is NOT NULL',
          'bad_items: row-level security enabled',
          'bad_items: row-level security forced',
          'bad_items: has a tenant policy on app.tenant_id (USING and WITH CHECK)',
          'bad_items: primary key leads with tenant_id',
          'bad_items: unique bad_items_sku_key leads with tenant_id',
          'bad_lines: row-level security forced',
          'bad_lines: foreign key bad_lines_item_id_fkey leads with tenant_id and stays in the tenant',
        ]),
      );
      expect(failed).not.toContain('bad_lines: row-level security enabled');
      expect(failed).not.toContain('bad_lines: primary key leads with tenant_id');
    } finally {
      await owner.query(`drop table bad_lines; drop table bad_items`);
    }
  });

  it('fails a table without tenant_id that is not declared global', async () => {
    await owner.query(`create table forgotten (id int primary key)`);
    try {
      const failed = (await validateSchema(owner))
        .filter((check) => !check.ok)
        .map((check) => `${check.subject}: ${check.rule}`);
      expect(failed).toEqual(['forgotten: global table is declared global']);
    } finally {
      await owner.query(`drop table forgotten`);
    }
  });

  it('fails when a migration is not applied', async () => {
    await owner.query(`delete from migrations`);
    const failed = (await validateSchema(owner)).filter((check) => !check.ok);
    expect(failed.map((check) => check.rule)).toContain(`all ${migrations.length} migrations applied`);
    expect(failed[0].detail).toContain('CreateAppRole1764100000000');
  });
});
