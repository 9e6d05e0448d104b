import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { runCommand } from '../../src/cli/run-command.js';
import { IdempotencyExpiry } from '../../src/platform/http/idempotency/idempotency-expiry.service.js';
import { JobRunner } from '../../src/platform/jobs/job-runner.service.js';
import { bodyOf } from '../support/api-body.js';
import type { ItemView, LocationView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

async function cli(t: TestApp, ...args: string[]): Promise<{ code: number; stdout: string }> {
  let stdout = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await runCommand({ ...t.env, MIGRATIONS_RUN: false }, t.endpoints, args), stdout };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('balance reconciliation and backfill', () => {
  let t: TestApp;

  /** A tenant with one item at four locations, 10.5 received at the first three (three balance keys). */
  interface Stocked {
    tenant: TestTenant;
    itemId: string;
    locations: [string, string, string, string];
    /** The locations with stock: one balance key each. */
    stocked: string[];
  }

  async function stockedTenant(): Promise<Stocked> {
    const tenant = await createTenant(t, 'recon');
    const auth = { Authorization: `Bearer ${tenant.admin.token}` };
    const item = await t.http().post('/api/items').set(auth).send({ sku: 'R-1', name: 'R', baseUom: 'ea' });
    const itemId = bodyOf<ItemView>(item).id;
    const locations: string[] = [];
    for (const name of ['L1', 'L2', 'L3', 'L4']) {
      const location = await t.http().post('/api/locations').set(auth).send({ site: 'S', name });
      locations.push(bodyOf<LocationView>(location).id);
    }
    const stocked = locations.slice(0, 3);
    for (const locationId of stocked) {
      await t
        .http()
        .post('/api/inventory/movements')
        .set(auth)
        .send({ type: 'receipt', lines: [{ itemId, locationId, qty: '10.5' }] })
        .expect(201);
    }
    return { tenant, itemId, locations: locations as Stocked['locations'], stocked };
  }

  async function balanceOf({ tenant, itemId }: Stocked, locationId: string): Promise<string | null> {
    const rows = await t.database.query<{ qty: string }>(
      `select trim_scale(qty)::text as qty from inventory_balances where tenant_id = $1 and item_id = $2 and location_id = $3`,
      [tenant.id, itemId, locationId],
    );
    return rows[0]?.qty ?? null;
  }

  async function ledgerSum({ tenant, itemId }: Stocked, locationId: string): Promise<string> {
    const [{ qty }] = await t.database.query<{ qty: string }>(
      `select coalesce(trim_scale(sum(qty_base)), 0)::text as qty from inventory_ledger
        where tenant_id = $1 and item_id = $2 and location_id = $3`,
      [tenant.id, itemId, locationId],
    );
    return qty;
  }

  /** Changes balances behind the trigger's back (owner connection). */
  const tamper = {
    add: (stock: Stocked, locationId: string, qty: string) =>
      t.database.query(
        `update inventory_balances set qty = qty + $3::numeric where tenant_id = $1 and location_id = $2`,
        [stock.tenant.id, locationId, qty],
      ),
    remove: (stock: Stocked, locationId: string) =>
      t.database.query(`delete from inventory_balances where tenant_id = $1 and location_id = $2`, [
        stock.tenant.id,
        locationId,
      ]),
    orphan: (stock: Stocked, locationId: string, qty: string) =>
      t.database.query(
        `insert into inventory_balances (tenant_id, item_id, location_id, qty, last_ledger_id, updated_at) values ($1, $2, $3, $4, 0, now())`,
        [stock.tenant.id, stock.itemId, locationId, qty],
      ),
  };

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('finds no drift on a consistent ledger and records the run', async () => {
    const stock = await stockedTenant();
    const result = await cli(t, 'reconcile:balances', '--tenant', stock.tenant.slug);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${stock.stocked.length} balance keys checked, 0 drifted`);
    const [run] = await t.database.query<{ status: string; keys_checked: string; drift_keys: number }>(
      `select status, keys_checked::text, drift_keys from reconciliation_runs order by started_at desc limit 1`,
    );
    expect(run).toEqual({ status: 'succeeded', keys_checked: String(stock.stocked.length), drift_keys: 0 });
  });

  it('corrects drift below 0.01 and reports larger drift, missing and orphaned balances without touching them', async () => {
    const stock = await stockedTenant();
    const [l1, l2, l3, l4] = stock.locations;
    await tamper.add(stock, l1, '0.005');
    await tamper.add(stock, l2, '5');
    await tamper.remove(stock, l3);
    await tamper.orphan(stock, l4, '2');

    // Every tenant: the others of this file are consistent, so the figures are this tenant's four keys.
    const result = await cli(t, 'reconcile:balances');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/4 drifted \(1 corrected, 3 reported; 1 orphaned, 1 missing\)/);
    expect(result.stdout).toContain(`location ${l2}: balance 15.5, ledger 10.5`);
    expect(await balanceOf(stock, l1)).toBe(await ledgerSum(stock, l1));
    expect(await balanceOf(stock, l2)).toBe('15.5');
    expect(await balanceOf(stock, l3)).toBeNull();
    expect(await balanceOf(stock, l4)).toBe('2');

    const [run] = await t.database.query<{
      corrected_keys: number;
      alerted_keys: number;
      details: unknown[];
    }>(
      `select corrected_keys, alerted_keys, details from reconciliation_runs order by started_at desc limit 1`,
    );
    expect(run).toMatchObject({ corrected_keys: 1, alerted_keys: 3 });
    expect(run.details).toHaveLength(4);
    const metrics = (await t.http().get('/metrics')).text;
    expect(metrics).toMatch(/^balance_reconciliation_drift_keys 3$/m);
  });

  it('corrects a position whose on hand is not the sum of its balances, and audits it', async () => {
    const stock = await stockedTenant();
    const [l1, l2] = stock.locations;
    const positionOf = async (locationId: string) =>
      (
        await t.database.query<{ onHand: string }>(
          `select trim_scale(on_hand)::text as "onHand" from inventory_positions
            where tenant_id = $1 and item_id = $2 and location_id = $3`,
          [stock.tenant.id, stock.itemId, locationId],
        )
      )[0]?.onHand;
    expect(await positionOf(l1)).toBe(await balanceOf(stock, l1));
    // Behind change_stock()'s back (owner connection): one position off by 3, one missing.
    await t.database.query(
      `update inventory_positions set on_hand = on_hand + 3 where tenant_id = $1 and location_id = $2`,
      [stock.tenant.id, l1],
    );
    await t.database.query(`delete from inventory_positions where tenant_id = $1 and location_id = $2`, [
      stock.tenant.id,
      l2,
    ]);

    const result = await cli(t, 'reconcile:balances', '--tenant', stock.tenant.slug);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('0 drifted (0 corrected, 0 reported), 2 position(s) corrected');
    expect(await positionOf(l1)).toBe('10.5');
    expect(await positionOf(l2)).toBe('10.5');
    const [entry] = await t.database.query<{ entity_type: string; after: { positions: number } }>(
      `select entity_type, after from audit_logs where tenant_id = $1 and action = 'position.drift_corrected'`,
      [stock.tenant.id],
    );
    expect(entry).toEqual({
      entity_type: 'inventory_position',
      after: { positions: 2, first: expect.arrayContaining([{ itemId: stock.itemId, locationId: l1 }]) },
    });
    const again = await cli(t, 'reconcile:balances', '--tenant', stock.tenant.slug);
    expect(again.stdout).toContain('0 position(s) corrected');
  });

  it('backfill rebuilds every balance from the ledger, verifies, and is idempotent', async () => {
    const stock = await stockedTenant();
    const [, l2, l3, l4] = stock.locations;
    // Three keys wrong: one balance off by 5, one missing, one without ledger rows.
    await tamper.add(stock, l2, '5');
    await tamper.remove(stock, l3);
    await tamper.orphan(stock, l4, '2');
    const wrong = 3;

    const first = await cli(t, 'backfill:balances', '--tenant', stock.tenant.slug);
    expect(first.code).toBe(0);
    // Each wrong key rebuilt, and counted (it used to say 0); the keys checked are the ledger's.
    expect(first.stdout).toContain(`${stock.stocked.length} keys checked, ${wrong} rebuilt, 0 drifted`);
    for (const locationId of stock.stocked)
      expect(await balanceOf(stock, locationId)).toBe(await ledgerSum(stock, locationId));
    expect(await balanceOf(stock, l4)).toBeNull();
    const second = await cli(t, 'backfill:balances', '--tenant', stock.tenant.slug);
    expect(second.stdout).toMatch(/0 rebuilt, 0 drifted/);
    const check = await cli(t, 'reconcile:balances', '--tenant', stock.tenant.slug);
    expect(check.code).toBe(0);
  });

  it('runs a job once when two replicas start it together (advisory lock)', async () => {
    const jobs = t.app.get(JobRunner);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = jobs.run('lock-probe', () => held.then(() => 'first'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = await jobs.run('lock-probe', () => Promise.resolve('second'));
    release();
    expect(second).toEqual({ ran: false, reason: 'another replica is running it' });
    expect(await first).toEqual({ ran: true, result: 'first' });
  });

  it('expires idempotency keys older than 24 h, and only those', async () => {
    const tenant = await createTenant(t, 'recon-keys');
    await t.database.query(
      `insert into idempotency_keys (tenant_id, key, fingerprint, expires_at) values
         ($1, 'old', 'x', now() - interval '1 minute'), ($1, 'fresh', 'y', now() + interval '1 hour')`,
      [tenant.id],
    );
    const result = await cli(t, 'idempotency:expire');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('deleted 1 expired idempotency record');
    expect(await t.app.get(IdempotencyExpiry).expire()).toBe(0);
    const keys = await t.database.query<{ key: string }>(
      `select key from idempotency_keys where tenant_id = $1 order by key`,
      [tenant.id],
    );
    expect(keys.map((k) => k.key)).toEqual(['fresh']);
  });
});
