import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import pg from 'pg';
import type { Response } from 'supertest';
import { bodyOf } from '../support/api-body.js';
import type {
  BalancePage,
  ItemView,
  LocationView,
  MovementView,
  Problem,
  TenantView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, platformAdminToken, type TestTenant } from '../support/tenant-factory.js';

/**
 * Inventory under concurrency: the negative-stock rule holds when many requests race for the last units, the
 * balances the database keeps always equal the ledger, the ledger cannot be changed by anyone, tenant limits
 * hold, and opposite transfers do not deadlock. Ground truth is SQL as the owner; every quantity comparison is
 * exact (numeric in SQL, BigInt micro-units in the test), never a JS float.
 */

/** One row of an invariant query that should return nothing. */
interface KeyRow {
  item_id: string;
  location_id: string;
  lot_id: string | null;
  balance: string | null;
  ledger: string | null;
}

/** The error a statement fails with; fails the test when it succeeds. */
async function sqlError(statement: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await statement;
  } catch (error) {
    if (error instanceof pg.DatabaseError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail, it succeeded');
}

/** Micro-units (integer) to a decimal string with up to 6 fractional digits, by string arithmetic only. */
function decimal(micro: bigint): string {
  const negative = micro < 0n;
  const digits = (negative ? -micro : micro).toString().padStart(7, '0');
  const integer = digits.slice(0, -6);
  const fraction = digits.slice(-6).replace(/0+$/, '');
  return `${negative ? '-' : ''}${integer}${fraction ? `.${fraction}` : ''}`;
}

describe('inventory under concurrency: negative stock, conservation, append-only ledger, limits', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Every createTenant logs the platform admin in again: lift the login throttle (10 per 15 min) too.
    t = await createTestApp({
      env: { THROTTLE_LIMIT: '100000', LOGIN_THROTTLE_LIMIT: '1000', DATABASE_POOL_SIZE: '20' },
    });
  });
  afterAll(() => t.close());

  const authOf = (tenant: TestTenant) => ({ Authorization: `Bearer ${tenant.admin.token}` });

  async function createItem(tenant: TestTenant, body: Record<string, unknown>): Promise<string> {
    const response = await t.http().post('/api/items').set(authOf(tenant)).send(body);
    expect({ status: response.status, body: response.body as unknown }).toMatchObject({ status: 201 });
    return bodyOf<ItemView>(response).id;
  }

  async function createLocation(tenant: TestTenant, site: string, name: string): Promise<string> {
    const response = await t.http().post('/api/locations').set(authOf(tenant)).send({ site, name });
    expect({ status: response.status, body: response.body as unknown }).toMatchObject({ status: 201 });
    return bodyOf<LocationView>(response).id;
  }

  async function post(tenant: TestTenant, body: Record<string, unknown>): Promise<Response> {
    return t.http().post('/api/inventory/movements').set(authOf(tenant)).send(body);
  }

  async function postOk(tenant: TestTenant, body: Record<string, unknown>): Promise<void> {
    const response = await post(tenant, body);
    expect({ status: response.status, body: response.body as unknown }).toMatchObject({ status: 201 });
  }

  /** The balance through the API ('0' when the key has no row). */
  async function apiBalance(tenant: TestTenant, itemId: string, locationId: string): Promise<string> {
    const query = new URLSearchParams({ itemId, locationId });
    const response = await t.http().get(`/api/inventory/balances?${query.toString()}`).set(authOf(tenant));
    expect(response.status).toBe(200);
    const rows = bodyOf<BalancePage>(response).data.filter((row) => row.lotCode === null);
    expect(rows.length).toBeLessThanOrEqual(1);
    return rows[0]?.qty ?? '0';
  }

  /** Balance and ledger sum of one key (no lot), as SQL prints them after trim_scale. */
  async function sqlKey(
    tenantId: string,
    itemId: string,
    locationId: string,
  ): Promise<{ balance: string | null; ledger: string | null; equal: boolean | null }> {
    const [row] = await t.database.query<{
      balance: string | null;
      ledger: string | null;
      equal: boolean | null;
    }>(
      `select trim_scale(b.qty)::text as balance, trim_scale(l.total)::text as ledger, b.qty = l.total as equal
         from (select 1) one
         left join inventory_balances b
           on b.tenant_id = $1 and b.item_id = $2 and b.location_id = $3 and b.lot_id is null
         left join (select sum(qty_base) as total from inventory_ledger
                     where tenant_id = $1 and item_id = $2 and location_id = $3 and lot_id is null) l on true`,
      [tenantId, itemId, locationId],
    );
    return row;
  }

  /** Every invariant that ties balances to the ledger in one tenant; each list must be empty. */
  async function invariantViolations(tenantId: string) {
    const mismatched = await t.database.query<KeyRow>(
      `select b.item_id, b.location_id, b.lot_id, b.qty::text as balance, l.total::text as ledger
         from inventory_balances b
         join (select item_id, location_id, lot_id, sum(qty_base) as total
                 from inventory_ledger where tenant_id = $1 group by item_id, location_id, lot_id) l
           on l.item_id = b.item_id and l.location_id = b.location_id and l.lot_id is not distinct from b.lot_id
        where b.tenant_id = $1 and b.qty <> l.total`,
      [tenantId],
    );
    const balanceWithoutLedger = await t.database.query<KeyRow>(
      `select b.item_id, b.location_id, b.lot_id, b.qty::text as balance, null as ledger
         from inventory_balances b
        where b.tenant_id = $1
          and not exists (select 1 from inventory_ledger l
                           where l.tenant_id = b.tenant_id and l.item_id = b.item_id
                             and l.location_id = b.location_id and l.lot_id is not distinct from b.lot_id)`,
      [tenantId],
    );
    const ledgerWithoutBalance = await t.database.query<KeyRow>(
      `select distinct l.item_id, l.location_id, l.lot_id, null as balance, null as ledger
         from inventory_ledger l
        where l.tenant_id = $1
          and not exists (select 1 from inventory_balances b
                           where b.tenant_id = l.tenant_id and b.item_id = l.item_id
                             and b.location_id = l.location_id and b.lot_id is not distinct from l.lot_id)`,
      [tenantId],
    );
    const unbalancedTransfers = await t.database.query<{
      movement_id: string;
      item_id: string;
      total: string;
    }>(
      `select movement_id, item_id, sum(qty_base)::text as total
         from inventory_ledger
        where tenant_id = $1 and type = 'transfer'
        group by movement_id, item_id, lot_id
       having sum(qty_base) <> 0`,
      [tenantId],
    );
    const negative = await t.database.query<KeyRow>(
      `select item_id, location_id, lot_id, qty::text as balance, null as ledger
         from inventory_balances where tenant_id = $1 and qty < 0`,
      [tenantId],
    );
    return { mismatched, balanceWithoutLedger, ledgerWithoutBalance, unbalancedTransfers, negative };
  }

  const noViolations = {
    mismatched: [],
    balanceWithoutLedger: [],
    ledgerWithoutBalance: [],
    unbalancedTransfers: [],
    negative: [],
  };

  async function count(sql: string, tenantId: string): Promise<number> {
    const [{ n }] = await t.database.query<{ n: number }>(sql, [tenantId]);
    return n;
  }

  const movementsOf = (tenantId: string) =>
    count(`select count(*)::int as n from inventory_movements where tenant_id = $1`, tenantId);
  const ledgerRowsOf = (tenantId: string) =>
    count(`select count(*)::int as n from inventory_ledger where tenant_id = $1`, tenantId);

  /** A response that is neither 201 nor 409 insufficient-stock, described for the failure message. */
  function unexpected(responses: Response[]): Array<{ index: number; status: number; body: unknown }> {
    return responses.flatMap((response, index) =>
      response.status === 201 ||
      (response.status === 409 && bodyOf<Problem>(response).type === 'insufficient-stock')
        ? []
        : [{ index, status: response.status, body: response.body as unknown }],
    );
  }

  it('under deny, 50 parallel single-unit issues against 10 on hand: exactly 10 succeed, 40 are refused', async () => {
    const tenant = await createTenant(t, 'race');
    const item = await createItem(tenant, { sku: 'RACE-1', name: 'Raced', baseUom: 'ea' });
    const bin = await createLocation(tenant, 'Berlin', 'R-01');
    await postOk(tenant, { type: 'receipt', lines: [{ itemId: item, locationId: bin, qty: '10' }] });

    const responses = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        post(tenant, {
          type: 'issue',
          reference: `race-${i}`,
          lines: [{ itemId: item, locationId: bin, qty: 1 }],
        }),
      ),
    );

    expect(unexpected(responses)).toEqual([]);
    const created = responses.filter((r) => r.status === 201);
    const refused = responses.filter((r) => r.status === 409);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(40);
    for (const response of refused) {
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
      expect(bodyOf<Problem>(response)).toMatchObject({
        type: 'insufficient-stock',
        status: 409,
        itemId: item,
        locationId: bin,
        lotCode: null,
        available: '0',
        requested: '1',
      });
    }
    expect(new Set(created.map((r) => bodyOf<MovementView>(r).id)).size).toBe(10);

    expect(await apiBalance(tenant, item, bin)).toBe('0');
    expect(await sqlKey(tenant.id, item, bin)).toEqual({ balance: '0', ledger: '0', equal: true });
    expect(await movementsOf(tenant.id)).toBe(11);
    expect(await ledgerRowsOf(tenant.id)).toBe(11);
    expect(await invariantViolations(tenant.id)).toEqual(noViolations);
  });

  it('under allow, the item override lets all 50 issues through; the item override beats the tenant setting', async () => {
    // Item override 'allow' in a tenant with the default policy (deny).
    const tenant = await createTenant(t, 'allow');
    const item = await createItem(tenant, {
      sku: 'NEG-1',
      name: 'May go negative',
      baseUom: 'ea',
      negativeStock: 'allow',
    });
    const bin = await createLocation(tenant, 'Berlin', 'N-01');
    await postOk(tenant, { type: 'receipt', lines: [{ itemId: item, locationId: bin, qty: 10 }] });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        post(tenant, { type: 'issue', lines: [{ itemId: item, locationId: bin, qty: '1' }] }),
      ),
    );
    expect(responses.map((r) => r.status).filter((s) => s !== 201)).toEqual([]);
    expect(await apiBalance(tenant, item, bin)).toBe('-40');
    expect(await sqlKey(tenant.id, item, bin)).toEqual({ balance: '-40', ledger: '-40', equal: true });
    expect(await movementsOf(tenant.id)).toBe(51);

    // Tenant setting 'allow': an item without an override follows it, an item with 'deny' does not.
    const other = await createTenant(t, 'tenant-allow');
    const admin = await platformAdminToken(t);
    const patched = await t
      .http()
      .patch(`/api/tenants/${other.id}`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ settings: { negativeStock: 'allow' } });
    expect(patched.status).toBe(200);
    expect(bodyOf<TenantView>(patched).settings.negativeStock).toBe('allow');

    const follows = await createItem(other, { sku: 'F-1', name: 'Follows tenant', baseUom: 'ea' });
    const denies = await createItem(other, {
      sku: 'D-1',
      name: 'Denies',
      baseUom: 'ea',
      negativeStock: 'deny',
    });
    const shelf = await createLocation(other, 'Paris', 'S-01');
    await postOk(other, {
      type: 'receipt',
      lines: [
        { itemId: follows, locationId: shelf, qty: 1 },
        { itemId: denies, locationId: shelf, qty: 1 },
      ],
    });

    const allowed = await post(other, {
      type: 'issue',
      lines: [{ itemId: follows, locationId: shelf, qty: 3 }],
    });
    expect(allowed.status).toBe(201);
    expect(await apiBalance(other, follows, shelf)).toBe('-2');

    const denied = await post(other, {
      type: 'issue',
      lines: [{ itemId: denies, locationId: shelf, qty: 3 }],
    });
    expect(denied.status).toBe(409);
    expect(bodyOf<Problem>(denied)).toMatchObject({
      type: 'insufficient-stock',
      itemId: denies,
      locationId: shelf,
      available: '1',
      requested: '3',
    });
    expect(await apiBalance(other, denies, shelf)).toBe('1');

    // A movement touching both is rejected whole: the allowed line is not posted either.
    const mixed = await post(other, {
      type: 'issue',
      lines: [
        { itemId: follows, locationId: shelf, qty: 1 },
        { itemId: denies, locationId: shelf, qty: 2 },
      ],
    });
    expect(mixed.status).toBe(409);
    expect(bodyOf<Problem>(mixed).itemId).toBe(denies);
    expect(await apiBalance(other, follows, shelf)).toBe('-2');

    // Clearing the override (null) makes the item follow the tenant again.
    const cleared = await t
      .http()
      .patch(`/api/items/${denies}`)
      .set(authOf(other))
      .send({ negativeStock: null });
    expect(cleared.status).toBe(200);
    expect(bodyOf<ItemView>(cleared).negativeStock).toBeNull();
    const nowAllowed = await post(other, {
      type: 'issue',
      lines: [{ itemId: denies, locationId: shelf, qty: 3 }],
    });
    expect(nowAllowed.status).toBe(201);
    expect(await apiBalance(other, denies, shelf)).toBe('-2');
    expect(await sqlKey(other.id, denies, shelf)).toEqual({ balance: '-2', ledger: '-2', equal: true });
  });

  it('conserves stock under random concurrent movements: balances always equal the ledger (property)', async () => {
    type Kind = 'receipt' | 'issue' | 'adjustment' | 'transfer';
    interface Line {
      item: number;
      location: number;
      /** Destination = (location + toOffset) % 3, so it always differs from the source. */
      toOffset: number;
      lot: number;
      micro: number;
    }
    interface Operation {
      kind: Kind;
      lines: Line[];
    }
    const MICRO = 1_000_000;
    const positive = (max: number) => fc.integer({ min: 1, max });
    const line = (micro: fc.Arbitrary<number>) =>
      fc.record({
        item: fc.integer({ min: 0, max: 2 }),
        location: fc.integer({ min: 0, max: 2 }),
        toOffset: fc.integer({ min: 1, max: 2 }),
        lot: fc.integer({ min: 0, max: 1 }),
        micro,
      });
    // Lines of one movement are for distinct items, so no movement has two legs on one key (that is a 400).
    const lines = (micro: fc.Arbitrary<number>) =>
      fc.uniqueArray(line(micro), { minLength: 1, maxLength: 2, selector: (l) => l.item });
    const operation: fc.Arbitrary<Operation> = fc.oneof(
      fc.record({ kind: fc.constant<Kind>('receipt'), lines: lines(positive(40 * MICRO)) }),
      fc.record({ kind: fc.constant<Kind>('issue'), lines: lines(positive(15 * MICRO)) }),
      fc.record({
        kind: fc.constant<Kind>('adjustment'),
        lines: lines(fc.integer({ min: -10 * MICRO, max: 10 * MICRO }).filter((n) => n !== 0)),
      }),
      fc.record({ kind: fc.constant<Kind>('transfer'), lines: lines(positive(15 * MICRO)) }),
    );
    const STREAMS = 4;
    let run = 0;
    const outcomes = { created: 0, refused: 0 };

    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 20, maxLength: 60 }), async (operations) => {
        run += 1;
        const tenant = await createTenant(t, `prop${run}`);
        const items = [
          await createItem(tenant, { sku: 'P-1', name: 'Plain one', baseUom: 'ea' }),
          await createItem(tenant, { sku: 'P-2', name: 'Plain two', baseUom: 'kg' }),
          await createItem(tenant, { sku: 'P-L', name: 'Lotted', baseUom: 'l', lotTracked: true }),
        ];
        const locations = [
          await createLocation(tenant, 'Hamburg', 'H-1'),
          await createLocation(tenant, 'Hamburg', 'H-2'),
          await createLocation(tenant, 'Munich', 'M-1'),
        ];
        const lotCodes = ['LOT-A', 'LOT-B'];
        const lotOf = (l: Line) => (l.item === 2 ? lotCodes[l.lot] : undefined);
        const movementOf = (op: Operation) => ({
          type: op.kind,
          lines: op.lines.map((l) => ({
            itemId: items[l.item],
            locationId: locations[l.location],
            ...(op.kind === 'transfer' && { toLocationId: locations[(l.location + l.toOffset) % 3] }),
            ...(lotOf(l) !== undefined && { lotCode: lotOf(l) }),
            qty: decimal(BigInt(l.micro)),
          })),
        });

        // STREAMS clients, each posting its share of the operations one after the other.
        const responses: Response[] = new Array<Response>(operations.length);
        await Promise.all(
          Array.from({ length: STREAMS }, async (_, stream) => {
            for (let i = stream; i < operations.length; i += STREAMS) {
              responses[i] = await post(tenant, movementOf(operations[i]));
            }
          }),
        );
        expect(unexpected(responses)).toEqual([]);
        const accepted = operations.filter((_, i) => responses[i].status === 201);
        outcomes.created += accepted.length;
        outcomes.refused += operations.length - accepted.length;

        // What the accepted movements must have done, key by key, in exact integer micro-units.
        const expected = new Map<string, bigint>();
        const add = (item: number, location: number, l: Line, micro: bigint) => {
          const key = `${items[item]}|${locations[location]}|${lotOf(l) ?? ''}`;
          expected.set(key, (expected.get(key) ?? 0n) + micro);
        };
        let expectedLedgerRows = 0;
        for (const op of accepted) {
          for (const l of op.lines) {
            const micro = BigInt(l.micro);
            if (op.kind === 'receipt' || op.kind === 'adjustment') add(l.item, l.location, l, micro);
            if (op.kind === 'issue') add(l.item, l.location, l, -micro);
            if (op.kind === 'transfer') {
              add(l.item, l.location, l, -micro);
              add(l.item, (l.location + l.toOffset) % 3, l, micro);
            }
            expectedLedgerRows += op.kind === 'transfer' ? 2 : 1;
          }
        }

        expect(await invariantViolations(tenant.id)).toEqual(noViolations);
        expect(await movementsOf(tenant.id)).toBe(accepted.length);
        expect(await ledgerRowsOf(tenant.id)).toBe(expectedLedgerRows);

        const rows = await t.database.query<{ key: string; micro: string; qty: string }>(
          `select b.item_id || '|' || b.location_id || '|' || coalesce(lt.code, '') as key,
                  (b.qty * 1000000)::bigint::text as micro, trim_scale(b.qty)::text as qty
             from inventory_balances b
             left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
            where b.tenant_id = $1`,
          [tenant.id],
        );
        const actual = new Map(rows.map((row) => [row.key, BigInt(row.micro)]));
        expect(actual).toEqual(expected);

        // The API shows exactly what the database holds.
        const api = await t.http().get('/api/inventory/balances?limit=500').set(authOf(tenant));
        expect(api.status).toBe(200);
        const shown = bodyOf<BalancePage>(api)
          .data.map((b) => `${b.itemId}|${b.locationId}|${b.lotCode ?? ''}=${b.qty}`)
          .sort();
        expect(shown).toEqual(rows.map((row) => `${row.key}=${row.qty}`).sort());
      }),
      // Concurrency makes a failing run non-deterministic, so shrinking would chase ghosts: report the first.
      { numRuns: 8, endOnFailure: true },
    );
    expect(run).toBe(8);
    // Both paths were exercised: with ~320 random operations starting from empty stock, some are refused.
    expect(outcomes.created).toBeGreaterThan(0);
    expect(outcomes.refused).toBeGreaterThan(0);
  }, 90_000);

  it('keeps the ledger append-only for the app role and for the owner; balances are read-only to the app', async () => {
    const tenant = await createTenant(t, 'ledger');
    const item = await createItem(tenant, { sku: 'AO-1', name: 'Append only', baseUom: 'ea' });
    const bin = await createLocation(tenant, 'Rome', 'A-01');
    await postOk(tenant, { type: 'receipt', lines: [{ itemId: item, locationId: bin, qty: '7.5' }] });
    await postOk(tenant, { type: 'issue', lines: [{ itemId: item, locationId: bin, qty: '2.25' }] });
    const before = await t.database.query<{ id: string; qty_base: string }>(
      `select id::text, qty_base::text from inventory_ledger where tenant_id = $1 order by id`,
      [tenant.id],
    );
    expect(before).toHaveLength(2);

    const app = new pg.Client({ connectionString: t.endpoints.appUrl });
    await app.connect();
    try {
      await app.query(`select set_config('app.tenant_id', $1, false)`, [tenant.id]);
      // The app role sees its rows (so the refusals below are not just RLS hiding them) ...
      const visible = await app.query<{ n: number }>(`select count(*)::int as n from inventory_ledger`);
      expect(visible.rows[0].n).toBe(2);
      // ... but has no grant to change them.
      const update = await sqlError(app.query(`update inventory_ledger set qty_base = qty_base * 2`));
      expect(update.code).toBe('42501');
      const remove = await sqlError(app.query(`delete from inventory_ledger`));
      expect(remove.code).toBe('42501');
      const truncate = await sqlError(app.query(`truncate inventory_ledger`));
      expect(truncate.code).toBe('42501');

      const insertBalance = await sqlError(
        app.query(
          `insert into inventory_balances (tenant_id, item_id, location_id, lot_id, qty, last_ledger_id, updated_at)
           values ($1, $2, $3, null, 1000, 1, now())`,
          [tenant.id, item, bin],
        ),
      );
      expect(insertBalance.code).toBe('42501');
      const updateBalance = await sqlError(app.query(`update inventory_balances set qty = qty + 1000`));
      expect(updateBalance.code).toBe('42501');
      const deleteBalance = await sqlError(app.query(`delete from inventory_balances`));
      expect(deleteBalance.code).toBe('42501');
    } finally {
      await app.end();
    }

    // The owner (superuser here) has every grant; the triggers still refuse, for every statement kind.
    const ownerUpdate = await sqlError(
      t.database.query(`update inventory_ledger set qty_base = qty_base * 2 where tenant_id = $1`, [
        tenant.id,
      ]),
    );
    expect({ code: ownerUpdate.code, message: ownerUpdate.message }).toEqual({
      code: 'IEA01',
      message: expect.stringContaining('append-only'),
    });
    const ownerDelete = await sqlError(
      t.database.query(`delete from inventory_ledger where tenant_id = $1`, [tenant.id]),
    );
    expect({ code: ownerDelete.code, message: ownerDelete.message }).toEqual({
      code: 'IEA01',
      message: expect.stringContaining('append-only'),
    });
    const ownerTruncate = await sqlError(t.database.query(`truncate inventory_ledger`));
    expect({ code: ownerTruncate.code, message: ownerTruncate.message }).toEqual({
      code: 'IEA01',
      message: expect.stringContaining('append-only'),
    });

    const after = await t.database.query<{ id: string; qty_base: string }>(
      `select id::text, qty_base::text from inventory_ledger where tenant_id = $1 order by id`,
      [tenant.id],
    );
    expect(after).toEqual(before);
    expect(await apiBalance(tenant, item, bin)).toBe('5.25');
    expect(await invariantViolations(tenant.id)).toEqual(noViolations);
  });

  it('enforces tenant limits with 409 limit-exceeded, also under concurrency; archiving frees an item slot', async () => {
    const tenant = await createTenant(t, 'limits', { limits: { maxItems: 2, maxLocations: 1 } });
    const first = await createItem(tenant, { sku: 'LIM-1', name: 'First', baseUom: 'ea' });
    await createItem(tenant, { sku: 'LIM-2', name: 'Second', baseUom: 'ea' });
    const third = await t
      .http()
      .post('/api/items')
      .set(authOf(tenant))
      .send({ sku: 'LIM-3', name: 'Third', baseUom: 'ea' });
    expect(third.status).toBe(409);
    expect(bodyOf<Problem>(third).type).toBe('limit-exceeded');

    const bin = await createLocation(tenant, 'Oslo', 'L-01');
    const second = await t
      .http()
      .post('/api/locations')
      .set(authOf(tenant))
      .send({ site: 'Oslo', name: 'L-02' });
    expect(second.status).toBe(409);
    expect(bodyOf<Problem>(second).type).toBe('limit-exceeded');

    // Archive an item with stock history: it stays (archived), and no longer counts against maxItems.
    await postOk(tenant, { type: 'receipt', lines: [{ itemId: first, locationId: bin, qty: 1 }] });
    const removed = await t.http().delete(`/api/items/${first}`).set(authOf(tenant));
    expect(removed.status).toBe(204);
    const archived = await t.http().get(`/api/items/${first}`).set(authOf(tenant));
    expect(archived.status).toBe(200);
    expect(bodyOf<ItemView>(archived).archived).toBe(true);
    const [row] = await t.database.query<{ archived: boolean }>(
      `select archived_at is not null as archived from items where tenant_id = $1 and id = $2`,
      [tenant.id, first],
    );
    expect(row).toEqual({ archived: true });

    await createItem(tenant, { sku: 'LIM-3', name: 'Third', baseUom: 'ea' });
    const fourth = await t
      .http()
      .post('/api/items')
      .set(authOf(tenant))
      .send({ sku: 'LIM-4', name: 'Fourth', baseUom: 'ea' });
    expect(fourth.status).toBe(409);
    expect(bodyOf<Problem>(fourth).type).toBe('limit-exceeded');

    // Racing creations cannot overshoot the limit: the trigger serialises them on the tenant row.
    const racing = await createTenant(t, 'limits-race', { limits: { maxItems: 3 } });
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t
          .http()
          .post('/api/items')
          .set(authOf(racing))
          .send({ sku: `R-${i}`, name: `Racer ${i}`, baseUom: 'ea' }),
      ),
    );
    expect(responses.filter((r) => r.status === 201)).toHaveLength(3);
    const others = responses.filter((r) => r.status !== 201);
    expect(others.map((r) => [r.status, bodyOf<Problem>(r).type])).toEqual(
      Array.from({ length: 9 }, () => [409, 'limit-exceeded']),
    );
    expect(await count(`select count(*)::int as n from items where tenant_id = $1`, racing.id)).toBe(3);
  });

  it('runs 20 concurrent opposite transfers without deadlock: 201 or 409 insufficient-stock, never 5xx', async () => {
    const tenant = await createTenant(t, 'swap');
    const x = await createItem(tenant, { sku: 'X', name: 'Ex', baseUom: 'ea' });
    const y = await createItem(tenant, { sku: 'Y', name: 'Why', baseUom: 'ea' });
    const a = await createLocation(tenant, 'Vienna', 'A');
    const b = await createLocation(tenant, 'Vienna', 'B');
    await postOk(tenant, {
      type: 'receipt',
      lines: [
        { itemId: x, locationId: a, qty: 6 },
        { itemId: y, locationId: a, qty: 6 },
        { itemId: x, locationId: b, qty: 6 },
        { itemId: y, locationId: b, qty: 6 },
      ],
    });

    let created = 0;
    for (let round = 0; round < 3; round += 1) {
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(tenant, {
            type: 'transfer',
            lines:
              i % 2 === 0
                ? [
                    { itemId: x, locationId: a, toLocationId: b, qty: 2 },
                    { itemId: y, locationId: a, toLocationId: b, qty: '1.5' },
                  ]
                : [
                    { itemId: y, locationId: b, toLocationId: a, qty: '1.5' },
                    { itemId: x, locationId: b, toLocationId: a, qty: 2 },
                  ],
          }),
        ),
      );
      expect(unexpected(responses)).toEqual([]);
      created += responses.filter((r) => r.status === 201).length;
    }
    expect(created).toBeGreaterThan(0);

    expect(await movementsOf(tenant.id)).toBe(1 + created);
    expect(await ledgerRowsOf(tenant.id)).toBe(4 + created * 4);
    expect(await invariantViolations(tenant.id)).toEqual(noViolations);
    const totals = await t.database.query<{ item_id: string; total: string }>(
      `select item_id, trim_scale(sum(qty))::text as total from inventory_balances
        where tenant_id = $1 group by item_id order by item_id`,
      [tenant.id],
    );
    expect(Object.fromEntries(totals.map((row) => [row.item_id, row.total]))).toEqual({
      [x]: '12',
      [y]: '12',
    });
    // Both legs of every posted transfer line are there, and the API agrees with the database.
    for (const [item, location] of [
      [x, a],
      [x, b],
      [y, a],
      [y, b],
    ]) {
      const key = await sqlKey(tenant.id, item, location);
      expect(key.equal).toBe(true);
      expect(await apiBalance(tenant, item, location)).toBe(key.balance);
    }
  });
  it('creates the same new lots concurrently, lines in opposite orders, without deadlock', async () => {
    const tenant = await createTenant(t, 'lots');
    const lotted = await createItem(tenant, { sku: 'LT', name: 'Lotted', baseUom: 'kg', lotTracked: true });
    const a = await createLocation(tenant, 'Lyon', 'A');
    const b = await createLocation(tenant, 'Lyon', 'B');
    let expectedLedgerRows = 0;
    for (let round = 0; round < 5; round += 1) {
      const [first, second] = [`R${round}-P`, `R${round}-Q`];
      const responses = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          post(tenant, {
            type: 'receipt',
            lines:
              i % 2 === 0
                ? [
                    { itemId: lotted, locationId: a, lotCode: first, qty: '0.5' },
                    { itemId: lotted, locationId: b, lotCode: second, qty: '0.25' },
                  ]
                : [
                    { itemId: lotted, locationId: b, lotCode: second, qty: '0.25' },
                    { itemId: lotted, locationId: a, lotCode: first, qty: '0.5' },
                  ],
          }),
        ),
      );
      // Receipts can never be short of stock: every one of them must post.
      expect(responses.filter((r) => r.status !== 201).map((r) => [r.status, r.body as unknown])).toEqual([]);
      expectedLedgerRows += 40;
    }
    expect(await count(`select count(*)::int as n from lots where tenant_id = $1`, tenant.id)).toBe(10);
    expect(await ledgerRowsOf(tenant.id)).toBe(expectedLedgerRows);
    expect(await invariantViolations(tenant.id)).toEqual(noViolations);
    const totals = await t.database.query<{ code: string; qty: string }>(
      `select lt.code, trim_scale(b.qty)::text as qty
         from inventory_balances b join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
        where b.tenant_id = $1 order by lt.code`,
      [tenant.id],
    );
    expect(totals).toEqual(
      Array.from({ length: 5 }, (_, round) => [
        { code: `R${round}-P`, qty: '10' },
        { code: `R${round}-Q`, qty: '5' },
      ]).flat(),
    );
  });
});
