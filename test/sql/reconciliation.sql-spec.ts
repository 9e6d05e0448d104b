import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource, type QueryRunner } from 'typeorm';
import { ReconciliationRepository } from '../../src/modules/reconciliation/reconciliation.repository.js';
import { migrationDataSourceOptions } from '../../src/platform/database/data-source-options.js';
import { MaintenanceDatabase } from '../../src/platform/database/maintenance-database.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

/**
 * The reconciliation comparison (balances against the sum of their ledger rows), run as the reconciliation runs it:
 * on the owner connection, in one transaction that the test rolls back.
 */
describe('reconciliation: compareWithLedger()', () => {
  let database: TestDatabase;
  let owner: DataSource;
  let runner: QueryRunner;
  let repository: ReconciliationRepository;

  beforeAll(async () => {
    database = await createTestDatabase();
    owner = await new DataSource(
      migrationDataSourceOptions(database.url, 'reconciliation-sql-test'),
    ).initialize();
    repository = new ReconciliationRepository(new MaintenanceDatabase(owner));
    runner = owner.createQueryRunner();
    await runner.connect();
    await runner.startTransaction();
  });
  afterAll(async () => {
    await runner.rollbackTransaction();
    await runner.release();
    await owner.destroy();
    await database.drop();
  });

  it('finds a large drift, a small one, a key with only ledger rows and a balance without any, and nothing else', async () => {
    const [{ id: tenantId }] = (await runner.query(
      `insert into tenants (name, slug) values ('Recon', $1) returning id`,
      [`recon-${randomUUID().slice(0, 8)}`],
    )) as [{ id: string }];
    await runner.query(`select enter_tenant($1, null)`, [tenantId]);
    const item = randomUUID();
    await runner.query(
      `insert into items (tenant_id, id, sku, name, base_uom) values ($1, $2, 'R-1', 'R', 'ea')`,
      [tenantId, item],
    );
    const bins: string[] = [];
    for (let n = 0; n < 5; n++) {
      const id = randomUUID();
      bins.push(id);
      await runner.query(`insert into locations (tenant_id, id, site, name) values ($1, $2, 'S', $3)`, [
        tenantId,
        id,
        `B${n}`,
      ]);
    }
    const [correct, large, small, ledgerOnly, balanceOnly] = bins;
    for (const location of [correct, large, small, ledgerOnly])
      await runner.query(`select post_movement($1, null, 'system', null, null, $2, null, false)`, [
        tenantId,
        { type: 'receipt', lines: [{ itemId: item, locationId: location, qty: '10' }] },
      ]);
    // The owner (a superuser here) damages the balances the way a bug or a manual fix could.
    await runner.query(`update inventory_balances set qty = qty + 5 where location_id = $1`, [large]);
    await runner.query(`update inventory_balances set qty = qty - 0.001 where location_id = $1`, [small]);
    await runner.query(`delete from inventory_balances where location_id = $1`, [ledgerOnly]);
    await runner.query(
      `insert into inventory_balances (tenant_id, item_id, location_id, qty, last_ledger_id, updated_at)
       values ($1, $2, $3, 2, 0, now())`,
      [tenantId, item, balanceOnly],
    );

    const comparison = await repository.compareWithLedger(runner, tenantId, '0.01');

    expect(comparison.keys).toBe(5);
    const byLocation = Object.fromEntries(
      comparison.drifts.map((d) => [d.location_id, [d.balance_qty, d.ledger_qty, d.drift, d.small]]),
    );
    expect(byLocation).toEqual({
      [large]: ['15', '10', '5', false],
      [small]: ['9.999', '10', '-0.001', true],
      [ledgerOnly]: [null, '10', '-10', false],
      [balanceOnly]: ['2', null, '2', false],
    });
  });
});
