import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bodyOf } from '../support/api-body.js';
import type {
  BalancePage,
  ItemView,
  LedgerEntryPage,
  LocationView,
  MovementPage,
  MovementView,
  OnHandPage,
  Problem,
  RoleView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';

/** Items and locations of one test: nothing another test posted is on them. */
interface Stock {
  /** Base unit ea, also in cases of 12. */
  widget: string;
  /** Lot-tracked, in kg. */
  lotted: string;
  binA: string;
  binB: string;
}

describe('inventory: items, locations, movements, ledger and balances', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };

  async function createItem(body: Record<string, unknown>, as = auth): Promise<string> {
    const response = await t.http().post('/api/items').set(as).send(body);
    expect(response.status).toBe(201);
    return bodyOf<ItemView>(response).id;
  }

  async function createLocation(site: string, name: string, as = auth): Promise<string> {
    const response = await t.http().post('/api/locations').set(as).send({ site, name });
    expect(response.status).toBe(201);
    return bodyOf<LocationView>(response).id;
  }

  /** A widget, a lot-tracked item and two bins of the test's own, in `as`'s tenant. */
  async function freshStock(as = auth): Promise<Stock> {
    const suffix = randomUUID().slice(0, 8);
    return {
      widget: await createItem(
        { sku: `W-${suffix}`, name: 'Widget', baseUom: 'ea', uoms: [{ code: 'case', factor: 12 }] },
        as,
      ),
      lotted: await createItem({ sku: `L-${suffix}`, name: 'Lotted', baseUom: 'kg', lotTracked: true }, as),
      binA: await createLocation('Berlin', `A-${suffix}`, as),
      binB: await createLocation('Berlin', `B-${suffix}`, as),
    };
  }

  function post(body: Record<string, unknown>, headers: Record<string, string> = {}, as = auth) {
    return t.http().post('/api/inventory/movements').set(as).set(headers).send(body);
  }

  async function receive(itemId: string, locationId: string, qty: number): Promise<void> {
    await post({ type: 'receipt', lines: [{ itemId, locationId, qty }] }).expect(201);
  }

  async function balance(itemId: string, locationId: string, lotCode?: string, as = auth): Promise<string> {
    const query = new URLSearchParams({ itemId, locationId, ...(lotCode && { lotCode }) });
    const response = await t.http().get(`/api/inventory/balances?${query.toString()}`).set(as);
    expect(response.status).toBe(200);
    const rows = bodyOf<BalancePage>(response).data;
    return rows.find((row) => row.lotCode === (lotCode ?? null))?.qty ?? '0';
  }

  async function ledgerCount(): Promise<number> {
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from inventory_ledger where tenant_id = $1`,
      [tenant.id],
    );
    return n;
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    tenant = await createTenant(t, 'stock');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
  });
  afterAll(() => t.close());

  it('receives 2 case with factor 12 as 24 base units, keeping qty and uom on the line', async () => {
    const { widget, binA } = await freshStock();
    const response = await post({
      type: 'receipt',
      lines: [{ itemId: widget, locationId: binA, qty: 2, uom: 'case' }],
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      type: 'receipt',
      lineCount: 1,
      lines: [{ itemId: widget, locationId: binA, qty: '2', uom: 'case', qtyBase: '24', lotCode: null }],
    });
    expect(await balance(widget, binA)).toBe('24');
    const detail = await t
      .http()
      .get(`/api/inventory/movements/${bodyOf<MovementView>(response).id}`)
      .set(auth);
    expect(detail.body).toEqual(response.body);
  });

  it('round-trips 6-decimal quantities exactly and rejects a 7th decimal', async () => {
    const { lotted, binA } = await freshStock();
    const ok = await post({
      type: 'receipt',
      lines: [{ itemId: lotted, locationId: binA, lotCode: 'L1', qty: '0.000001' }],
    });
    expect(ok.status).toBe(201);
    await post({
      type: 'receipt',
      lines: [{ itemId: lotted, locationId: binA, lotCode: 'L1', qty: '123456.123456' }],
    }).expect(201);
    expect(await balance(lotted, binA, 'L1')).toBe('123456.123457');
    const bad = await post({
      type: 'receipt',
      lines: [{ itemId: lotted, locationId: binA, lotCode: 'L1', qty: '0.0000001' }],
    });
    expect(bad.status).toBe(400);
    expect(bodyOf<Problem>(bad).errors![0].field).toBe('lines.0.qty'.replace('.0.', '[0].'));
  });

  it('transfers both legs in one movement and nets to zero', async () => {
    const { widget, binA, binB } = await freshStock();
    await receive(widget, binA, 24);
    const response = await post({
      type: 'transfer',
      lines: [{ itemId: widget, locationId: binA, toLocationId: binB, qty: 10 }],
    });
    expect(response.status).toBe(201);
    const lines = bodyOf<MovementView>(response).lines!;
    expect(lines.map((l) => [l.locationId, l.qtyBase]).sort()).toEqual(
      [
        [binA, '-10'],
        [binB, '10'],
      ].sort(),
    );
    // 24 received, 10 moved on.
    expect(await balance(widget, binA)).toBe('14');
    expect(await balance(widget, binB)).toBe('10');
  });

  it('rejects a movement that would go negative under deny, whole, naming item, location and lot', async () => {
    const { widget, binA, binB } = await freshStock();
    await receive(widget, binA, 14);
    await receive(widget, binB, 10);
    const before = await ledgerCount();
    const response = await post({
      type: 'issue',
      lines: [
        { itemId: widget, locationId: binB, qty: 1 },
        { itemId: widget, locationId: binA, qty: 15 },
      ],
    });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      type: 'insufficient-stock',
      itemId: widget,
      locationId: binA,
      lotCode: null,
      available: '14',
      requested: '15',
    });
    expect(await ledgerCount()).toBe(before);
    // The line that fitted was not posted either.
    expect(await balance(widget, binB)).toBe('10');
  });

  it('requires a lot for lot-tracked items and refuses one for others, listing every bad line', async () => {
    const { widget, lotted, binA } = await freshStock();
    const response = await post({
      type: 'receipt',
      lines: [
        { itemId: lotted, locationId: binA, qty: 1 },
        { itemId: widget, locationId: binA, qty: 1, lotCode: 'X' },
        { itemId: randomUUID(), locationId: binA, qty: 1 },
        { itemId: widget, locationId: randomUUID(), qty: 1, uom: 'pallet' },
      ],
    });
    expect(response.status).toBe(400);
    expect(bodyOf<Problem>(response).errors!.map((e) => e.field)).toEqual([
      'lines[0].lotCode',
      'lines[1].lotCode',
      'lines[2].itemId',
      'lines[3].locationId',
      'lines[3].uom',
    ]);
  });

  it('refuses bad input with a 4xx problem and writes nothing', async () => {
    const { widget, binA } = await freshStock();
    const other = await createTenant(t, 'other');
    const otherLocation = await createLocation('X', 'Y', { Authorization: `Bearer ${other.admin.token}` });
    const before = await ledgerCount();
    const bad: Array<Record<string, unknown>> = [
      { type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: -1 }] },
      { type: 'receipt', lines: [{ itemId: randomUUID(), locationId: binA, qty: 1 }] },
      { type: 'receipt', lines: [{ itemId: widget, locationId: otherLocation, qty: 1 }] },
      { type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: '1.1234567' }] },
      { type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: { value: 1 } }] },
      {
        type: 'receipt',
        lines: Array.from({ length: 10_000 }, () => ({ itemId: widget, locationId: binA, qty: 1 })),
      },
      { type: 'receipt', lines: [] },
      { type: 'gift', lines: [{ itemId: widget, locationId: binA, qty: 1 }] },
      { type: 'transfer', lines: [{ itemId: widget, locationId: binA, qty: 1 }] },
      { type: 'transfer', lines: [{ itemId: widget, locationId: binA, toLocationId: binA, qty: 1 }] },
      { type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: 0 }] },
      {
        type: 'receipt',
        lines: [
          { itemId: widget, locationId: binA, qty: 1 },
          { itemId: widget, locationId: binA, qty: 2 },
        ],
      },
    ];
    for (const body of bad) {
      const response = await post(body);
      expect({
        body: JSON.stringify(body).slice(0, 80),
        status: response.status >= 400 && response.status < 500,
      }).toEqual({
        body: JSON.stringify(body).slice(0, 80),
        status: true,
      });
      expect(response.headers['content-type']).toMatch(/problem\+json/);
    }
    expect(await ledgerCount()).toBe(before);
  });

  it('requires inventory:adjust for adjustments (403, audited) and accepts signed quantities', async () => {
    const { widget, binA } = await freshStock();
    await receive(widget, binA, 14);
    const role = await t
      .http()
      .post('/api/roles')
      .set(auth)
      .send({
        name: `Poster ${randomUUID().slice(0, 8)}`,
        permissions: ['inventory:write', 'inventory:read'],
      })
      .expect(201);
    const poster = await createUser(t, { ...tenant, roles: { Poster: bodyOf<RoleView>(role).id } }, [
      'Poster',
    ]);
    const denied = await t
      .http()
      .post('/api/inventory/movements')
      .set('Authorization', `Bearer ${poster.token}`)
      .send({ type: 'adjustment', lines: [{ itemId: widget, locationId: binA, qty: -1 }] });
    expect(denied.status).toBe(403);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from rbac_audit_log where user_id = $1 and permission = 'inventory:adjust'`,
      [poster.id],
    );
    expect(n).toBe(1);
    const allowed = await post({
      type: 'adjustment',
      reference: 'CNT-1',
      lines: [{ itemId: widget, locationId: binA, qty: -4 }],
    });
    expect(allowed.status).toBe(201);
    // 14 received, the refused -1 not posted, -4 adjusted.
    expect(await balance(widget, binA)).toBe('10');
  });

  it('replays an idempotent retry, posts once, and refuses the key with another body (422)', async () => {
    const { widget, binB } = await freshStock();
    const key = `key-${randomUUID()}`;
    const body = { type: 'receipt', lines: [{ itemId: widget, locationId: binB, qty: 5 }] };
    const before = await ledgerCount();
    const first = await post(body, { 'Idempotency-Key': key });
    const again = await post(body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await ledgerCount()).toBe(before + 1);
    const other = await post({ ...body, note: 'different' }, { 'Idempotency-Key': key });
    expect(other.status).toBe(422);
    expect(bodyOf<Problem>(other).type).toBe('idempotency-key-reused');
  });

  it('posts once when the same idempotent request arrives concurrently', async () => {
    const { widget, binB } = await freshStock();
    const key = `key-${randomUUID()}`;
    const body = { type: 'receipt', lines: [{ itemId: widget, locationId: binB, qty: 1 }] };
    const before = await ledgerCount();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post(body, { 'Idempotency-Key': key })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses).toContain(201);
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => bodyOf<MovementView>(r).id));
    expect(ids.size).toBe(1);
    expect(await ledgerCount()).toBe(before + 1);
  });

  it('lists movements, the ledger, balances (also asOf) and the on-hand summary', async () => {
    // A tenant of its own: its movements and its on-hand summary are exactly the three posted here.
    const own = await createTenant(t, 'stock-list');
    const as = { Authorization: `Bearer ${own.admin.token}` };
    const { widget, binA, binB } = await freshStock(as);
    await post({ type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: 24 }] }, {}, as).expect(
      201,
    );
    await post({ type: 'receipt', lines: [{ itemId: widget, locationId: binB, qty: 5 }] }, {}, as).expect(
      201,
    );
    await post(
      { type: 'transfer', lines: [{ itemId: widget, locationId: binA, toLocationId: binB, qty: 10 }] },
      {},
      as,
    ).expect(201);

    const movements = await t.http().get('/api/inventory/movements?limit=2').set(as);
    expect(movements.status).toBe(200);
    const page = bodyOf<MovementPage>(movements);
    expect(page.data).toHaveLength(2);
    const next = await t.http().get(`/api/inventory/movements?limit=2&cursor=${page.nextCursor}`).set(as);
    expect(next.status).toBe(200);
    const first = page.data.map((m) => m.id);
    const second = bodyOf<MovementPage>(next);
    expect(second.data).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(second.data.map((m) => m.id).some((id) => first.includes(id))).toBe(false);

    const detail = await t.http().get(`/api/inventory/movements/${first[0]}`).set(as);
    expect(detail.status).toBe(200);
    expect(bodyOf<MovementView>(detail).lines!.length).toBeGreaterThan(0);

    const ledger = await t.http().get(`/api/inventory/ledger?itemId=${widget}&locationId=${binA}`).set(as);
    const entries = bodyOf<LedgerEntryPage>(ledger).data;
    const sum = entries.reduce((total, e) => total + Number(e.qtyBase), 0);
    expect(String(sum)).toBe(await balance(widget, binA, undefined, as));
    expect(String(sum)).toBe('14');

    const past = await t
      .http()
      .get(`/api/inventory/balances?itemId=${widget}&asOf=2000-01-01T00:00:00Z`)
      .set(as);
    expect(bodyOf<BalancePage>(past).data).toEqual([]);
    const now = await t
      .http()
      .get(`/api/inventory/balances?itemId=${widget}&asOf=${new Date(Date.now() + 60_000).toISOString()}`)
      .set(as);
    const asOf = bodyOf<BalancePage>(now).data;
    expect(asOf.find((b) => b.locationId === binA)?.qty).toBe(await balance(widget, binA, undefined, as));

    const summary = await t.http().get('/api/inventory').set(as);
    const row = bodyOf<OnHandPage>(summary).data.find((r) => r.itemId === widget)!;
    // 24 + 5 received; the transfer moves stock without changing the total.
    expect(Number(row.onHand)).toBe(24 + 5);
    expect(Number(row.onHand)).toBe(
      Number(await balance(widget, binA, undefined, as)) + Number(await balance(widget, binB, undefined, as)),
    );
    expect(row.locations.map((l) => l.locationId).sort()).toEqual([binA, binB].sort());
  });

  it('archives an item with history on DELETE, deletes one without, and records outbox events', async () => {
    const { widget, binA } = await freshStock();
    await receive(widget, binA, 3);
    await t.http().delete(`/api/items/${widget}`).set(auth).expect(204);
    const archived = await t.http().get(`/api/items/${widget}`).set(auth);
    expect(archived.body).toMatchObject({ archived: true });
    const fresh = await createItem({
      sku: `TMP-${randomUUID().slice(0, 8)}`,
      name: 'Temporary',
      baseUom: 'ea',
    });
    await t.http().delete(`/api/items/${fresh}`).set(auth).expect(204);
    await t.http().get(`/api/items/${fresh}`).set(auth).expect(404);
    const events = await t.database.query<{ type: string }>(
      `select type from outbox_events where tenant_id = $1 order by created_at`,
      [tenant.id],
    );
    const types = events.map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining([
        'item.created',
        'location.created',
        'movement.posted',
        'inventory.updated',
        'item.deleted',
      ]),
    );
    const posted = await t.database.query<{ n: number }>(
      `select count(*)::int as n from outbox_events where tenant_id = $1 and type = 'movement.posted'`,
      [tenant.id],
    );
    const movements = await t.database.query<{ n: number }>(
      `select count(*)::int as n from inventory_movements where tenant_id = $1`,
      [tenant.id],
    );
    expect(posted[0].n).toBe(movements[0].n);
  });
});
