import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Inject, Module } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import pg from 'pg';
import { RequirePermissions } from '../../src/platform/access/access.decorators.js';
import { parseEnvironment } from '../../src/platform/config/environment.js';
import { databaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import { APP_ROLE } from '../../src/platform/database/database-roles.js';
import { startPgBouncer, type PgBouncer } from '../support/pgbouncer.js';
import { bodyOf } from '../support/api-body.js';
import type { ItemPage, ItemView, LocationView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { TEST_APP_PASSWORD, createTestDatabase, type TestDatabase } from '../support/test-database-server.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

/** PgBouncer's server connections for the test database: fewer than the app pool's 8 clients. */
const SERVER_CONNECTIONS = 2;
const APP_POOL_SIZE = 8;
const WORKERS_PER_TENANT = 8;
const ROUNDS = 10;

interface Probe {
  pid: number;
  tenant: string | null;
  statementTimeout: string;
  visible: string[];
}

/**
 * Test-only route: what the request's own transaction sees, i.e. the PostgreSQL backend behind PgBouncer that
 * served it, the tenant setting, and the tenants whose items row-level security lets it read.
 */
@Controller('api/test/pgbouncer-probe')
class PoolProbeController {
  constructor(
    @Inject(TransactionHost) private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
  ) {}

  @Get()
  @RequirePermissions('items:read')
  async probe(): Promise<Probe> {
    const [row] = await this.txHost.tx.query<Probe[]>(
      `select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as tenant,
              current_setting('statement_timeout') as "statementTimeout",
              array(select distinct tenant_id::text from items) as visible`,
    );
    return row;
  }
}

@Module({ controllers: [PoolProbeController] })
class PoolProbeModule {}

describe('DATABASE_POOLER_URL: configuration', () => {
  const owner = 'postgres://inventory:owner-secret@db.internal:5432/inventory?sslmode=require';
  const base = { DATABASE_URL: owner, DATABASE_APP_PASSWORD: 'app-password-0123456789' };

  it('is used by the request pool only, with the app role filled in; LISTEN and the owner stay direct', () => {
    const env = parseEnvironment({
      ...base,
      DATABASE_POOLER_URL: 'postgres://pgbouncer.internal:6432/inventory',
    });
    const endpoints = databaseEndpoints(env, owner);
    expect(endpoints.ownerUrl).toBe(owner);
    expect(endpoints.appUrl).toBe(
      'postgres://inventory_app:app-password-0123456789@db.internal:5432/inventory?sslmode=require',
    );
    expect(endpoints.appPoolUrl).toBe(
      'postgres://inventory_app:app-password-0123456789@pgbouncer.internal:6432/inventory',
    );
  });

  it('defaults to the app URL, and keeps a pooler URL that names the app role as given', () => {
    expect(databaseEndpoints(parseEnvironment(base), owner).appPoolUrl).toBe(
      databaseEndpoints(parseEnvironment(base), owner).appUrl,
    );
    const given = 'postgres://inventory_app:pooler-only-password@pgbouncer.internal:6432/inventory';
    const env = parseEnvironment({ ...base, DATABASE_POOLER_URL: given });
    expect(databaseEndpoints(env, owner).appPoolUrl).toBe(given);
  });

  it('refuses any other user (the request pool must stay under row-level security) and a non-URL', () => {
    expect(() =>
      parseEnvironment({
        ...base,
        DATABASE_POOLER_URL: 'postgres://inventory:owner-secret@pgbouncer:6432/x',
      }),
    ).toThrow(/DATABASE_POOLER_URL must connect as inventory_app or name no user \(got "inventory"\)/);
    expect(() => parseEnvironment({ ...base, DATABASE_POOLER_URL: 'mysql://pgbouncer/x' })).toThrow(
      /DATABASE_POOLER_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
    );
  });
});

describe('PgBouncer (transaction pooling) in front of the request pool', () => {
  let database: TestDatabase;
  let bouncer: PgBouncer;
  let t: TestApp;
  const tenants: Array<{ tenant: TestTenant; prefix: string; itemId: string; locationId: string }> = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    bouncer = await startPgBouncer({
      serverUrl: database.url,
      user: APP_ROLE,
      password: TEST_APP_PASSWORD,
      poolSize: SERVER_CONNECTIONS,
      // The app pool cannot send statement_timeout through PgBouncer; the pooler sets it (docs/scaling.md).
      connectQuery: 'SET statement_timeout = 30000',
    });
    t = await createTestApp({
      database,
      env: {
        DATABASE_POOLER_URL: bouncer.url,
        DATABASE_POOL_SIZE: String(APP_POOL_SIZE),
        THROTTLE_LIMIT: '1000000',
      },
      imports: [PoolProbeModule],
    });
    for (const prefix of ['A', 'B']) {
      const tenant = await createTenant(t, `pool-${prefix.toLowerCase()}`);
      const auth = { Authorization: `Bearer ${tenant.admin.token}` };
      const item = await t
        .http()
        .post('/api/items')
        .set(auth)
        .send({ sku: `${prefix}-0`, name: `${prefix} first`, baseUom: 'ea' });
      const location = await t.http().post('/api/locations').set(auth).send({ site: prefix, name: 'bin' });
      expect([item.status, location.status]).toEqual([201, 201]);
      tenants.push({
        tenant,
        prefix,
        itemId: bodyOf<ItemView>(item).id,
        locationId: bodyOf<LocationView>(location).id,
      });
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    await bouncer?.stop();
    await database?.drop();
  });

  it('sends the request pool through PgBouncer while the LISTEN connection stays direct', async () => {
    expect(new URL(t.endpoints.appPoolUrl).port).toBe(String(bouncer.port));
    expect(new URL(t.endpoints.appUrl).port).toBe(new URL(database.url).port);
    const servers = await bouncer.admin<{ remote_pid: string; database: string }>('SHOW SERVERS');
    const pooledPids = servers.filter((s) => s.database === database.name).map((s) => Number(s.remote_pid));
    expect(pooledPids.length).toBeGreaterThan(0);
    expect(pooledPids.length).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    const [listener] = await database.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database()
          and application_name = 'inventory-enterprise:listen'`,
    );
    expect(listener).toBeDefined();
    expect(pooledPids).not.toContain(listener.pid);
  });

  it('keeps two tenants apart while more clients than server connections hammer it concurrently', async () => {
    const pidsByTenant = new Map<number, Set<string>>();
    let receipts = 0;
    const worker = async (
      { tenant, prefix, itemId, locationId }: (typeof tenants)[number],
      index: number,
    ): Promise<void> => {
      const auth = { Authorization: `Bearer ${tenant.admin.token}` };
      for (let round = 0; round < ROUNDS; round += 1) {
        const probe = await t.http().get('/api/test/pgbouncer-probe').set(auth);
        expect(probe.status).toBe(200);
        const seen = probe.body as Probe;
        // The request's transaction carries its own tenant and row-level security shows it nothing else.
        expect(seen.tenant).toBe(tenant.id);
        expect(seen.visible).toEqual([tenant.id]);
        expect(seen.statementTimeout).toBe('30s');
        pidsByTenant.set(seen.pid, (pidsByTenant.get(seen.pid) ?? new Set()).add(tenant.id));

        const created = await t
          .http()
          .post('/api/items')
          .set(auth)
          .send({ sku: `${prefix}-${index}-${round}`, name: `${prefix} item`, baseUom: 'ea' });
        expect(created.status).toBe(201);

        // The hot path: one statement whose SQL function sets the tenant itself, no surrounding transaction.
        const receipt = await t
          .http()
          .post('/api/inventory/movements')
          .set(auth)
          .send({ type: 'receipt', lines: [{ itemId, locationId, qty: 1 }] });
        expect(receipt.status).toBe(201);
        receipts += 1;

        const list = await t.http().get('/api/items?limit=200').set(auth);
        expect(list.status).toBe(200);
        const skus = bodyOf<ItemPage>(list).data.map((item) => item.sku);
        expect(skus.length).toBeGreaterThan(0);
        expect(skus.filter((sku) => !sku.startsWith(`${prefix}-`))).toEqual([]);
      }
    };

    await Promise.all(
      tenants.flatMap((entry) =>
        Array.from({ length: WORKERS_PER_TENANT }, (_, index) => worker(entry, index)),
      ),
    );

    // Every request went through at most SERVER_CONNECTIONS PostgreSQL backends, and backends were handed
    // from one tenant's transaction to the other's.
    expect(pidsByTenant.size).toBeLessThanOrEqual(SERVER_CONNECTIONS);
    expect([...pidsByTenant.values()].some((served) => served.size === 2)).toBe(true);

    // Ground truth as the owner: every row landed in the tenant that wrote it.
    const [a, b] = tenants;
    const items = await database.query<{ tenant_id: string; prefix: string; n: number }>(
      `select tenant_id, split_part(sku, '-', 1) as prefix, count(*)::int as n
         from items where tenant_id = any($1::uuid[]) group by 1, 2 order by 2`,
      [[a.tenant.id, b.tenant.id]],
    );
    const created = 1 + WORKERS_PER_TENANT * ROUNDS;
    expect(items).toEqual([
      { tenant_id: a.tenant.id, prefix: 'A', n: created },
      { tenant_id: b.tenant.id, prefix: 'B', n: created },
    ]);
    const ledger = await database.query<{ tenant_id: string; item_id: string; n: number }>(
      `select tenant_id, item_id, count(*)::int as n from inventory_ledger
        where tenant_id = any($1::uuid[]) group by 1, 2 order by count(*), tenant_id`,
      [[a.tenant.id, b.tenant.id]],
    );
    expect(ledger).toHaveLength(2);
    expect(ledger).toEqual(
      expect.arrayContaining([
        { tenant_id: a.tenant.id, item_id: a.itemId, n: WORKERS_PER_TENANT * ROUNDS },
        { tenant_id: b.tenant.id, item_id: b.itemId, n: WORKERS_PER_TENANT * ROUNDS },
      ]),
    );
    expect(receipts).toBe(2 * WORKERS_PER_TENANT * ROUNDS);
  }, 120_000);

  it('leaves no tenant behind on a server connection: a fresh transaction through PgBouncer sees none', async () => {
    const tenantPids = new Set(
      (await bouncer.admin<{ remote_pid: string; database: string }>('SHOW SERVERS'))
        .filter((s) => s.database === database.name)
        .map((s) => Number(s.remote_pid)),
    );
    const client = new pg.Client({ connectionString: t.endpoints.appPoolUrl });
    await client.connect();
    try {
      for (let i = 0; i < 2 * SERVER_CONNECTIONS; i += 1) {
        await client.query('begin');
        const {
          rows: [row],
        } = await client.query<{ pid: number; tenant: string | null; items: number }>(
          `select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as tenant,
                  (select count(*)::int from items) as items`,
        );
        await client.query('commit');
        // One of the backends that just served both tenants: the setting ended with their transactions
        // ('' once a session has used it), and row-level security shows nothing (fail closed).
        expect(tenantPids).toContain(row.pid);
        expect(row.tenant ?? '').toBe('');
        expect(row.items).toBe(0);
      }
    } finally {
      await client.end();
    }
    const [{ n }] = await database.query<{ n: number }>(`select count(*)::int as n from items`);
    expect(n).toBeGreaterThan(0);
  });
});
