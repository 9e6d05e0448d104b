import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';

interface Problem {
  type: string;
  status: number;
  errors?: { field: string; message: string }[];
  [key: string]: unknown;
}

describe('inventory: items, locations, movements, ledger and balances', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };
  let widget: string;
  let lotted: string;
  let binA: string;
  let binB: string;

  async function createItem(body: Record<string, unknown>): Promise<string> {
    const response = await t.http().post('/api/items').set(auth).send(body);
    expect(response.status).toBe(201);
    return (response.body as { id: string }).id;
  }

  async function createLocation(site: string, name: string): Promise<string> {
    const response = await t.http().post('/api/locations').set(auth).send({ site, name });
    expect(response.status).toBe(201);
    return (response.body as { id: string }).id;
  }

  function post(body: Record<string, unknown>, headers: Record<string, string> = {}) {
    return t.http().post('/api/inventory/movements').set(auth).set(headers).send(body);
  }

  async function balance(itemId: string, locationId: string, lotCode?: string): Promise<string> {
    const query = new URLSearchParams({ itemId, locationId, ...(lotCode && { lotCode }) });
    const response = await t.http().get(`/api/inventory/balances?${query.toString()}`).set(auth);
    expect(response.status).toBe(200);
    const rows = (response.body as { data: { qty: string; lotCode: string | null }[] }).data;
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
    widget = await createItem({
      sku: 'W-1',
      name: 'Widget',
      baseUom: 'ea',
      uoms: [{ code: 'case', factor: 12 }],
    });
    lotted = await createItem({ sku: 'L-1', name: 'Lotted', baseUom: 'kg', lotTracked: true });
    binA = await createLocation('Berlin', 'A-01');
    binB = await createLocation('Berlin', 'B-01');
  });
  afterAll(() => t.close());

  it('receives 2 case with factor 12 as 24 base units, keeping qty and uom on the line', async () => {
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
      .get(`/api/inventory/movements/${(response.body as { id: string }).id}`)
      .set(auth);
    expect(detail.body).toEqual(response.body);
  });

  it('round-trips 6-decimal quantities exactly and rejects a 7th decimal', async () => {
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
    expect((bad.body as Problem).errors![0].field).toBe('lines.0.qty'.replace('.0.', '[0].'));
  });

  it('transfers both legs in one movement and nets to zero', async () => {
    const response = await post({
      type: 'transfer',
      lines: [{ itemId: widget, locationId: binA, toLocationId: binB, qty: 10 }],
    });
    expect(response.status).toBe(201);
    const lines = (response.body as { lines: { locationId: string; qtyBase: string }[] }).lines;
    expect(lines.map((l) => [l.locationId, l.qtyBase]).sort()).toEqual(
      [
        [binA, '-10'],
        [binB, '10'],
      ].sort(),
    );
    expect(await balance(widget, binA)).toBe('14');
    expect(await balance(widget, binB)).toBe('10');
  });

  it('rejects a movement that would go negative under deny, whole, naming item, location and lot', async () => {
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
    expect(await balance(widget, binB)).toBe('10');
  });

  it('requires a lot for lot-tracked items and refuses one for others, listing every bad line', async () => {
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
    expect((response.body as Problem).errors!.map((e) => e.field)).toEqual([
      'lines[0].lotCode',
      'lines[1].lotCode',
      'lines[2].itemId',
      'lines[3].locationId',
      'lines[3].uom',
    ]);
  });

  it('refuses bad input with a 4xx problem and writes nothing', async () => {
    const other = await createTenant(t, 'other');
    const otherLocation = (
      await t
        .http()
        .post('/api/locations')
        .set('Authorization', `Bearer ${other.admin.token}`)
        .send({ site: 'X', name: 'Y' })
    ).body as { id: string };
    const before = await ledgerCount();
    const bad: Array<Record<string, unknown>> = [
      { type: 'receipt', lines: [{ itemId: widget, locationId: binA, qty: -1 }] },
      { type: 'receipt', lines: [{ itemId: randomUUID(), locationId: binA, qty: 1 }] },
      { type: 'receipt', lines: [{ itemId: widget, locationId: otherLocation.id, qty: 1 }] },
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
    const role = await t
      .http()
      .post('/api/roles')
      .set(auth)
      .send({ name: 'Poster', permissions: ['inventory:write', 'inventory:read'] })
      .expect(201);
    tenant.roles.Poster = (role.body as { id: string }).id;
    const poster = await createUser(t, tenant, ['Poster']);
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
    expect(await balance(widget, binA)).toBe('10');
  });

  it('replays an idempotent retry, posts once, and refuses the key with another body (422)', async () => {
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
    expect((other.body as Problem).type).toBe('idempotency-key-reused');
  });

  it('posts once when the same idempotent request arrives concurrently', async () => {
    const key = `key-${randomUUID()}`;
    const body = { type: 'receipt', lines: [{ itemId: widget, locationId: binB, qty: 1 }] };
    const before = await ledgerCount();
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => post(body, { 'Idempotency-Key': key })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    expect(statuses).toContain(201);
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => (r.body as { id: string }).id));
    expect(ids.size).toBe(1);
    expect(await ledgerCount()).toBe(before + 1);
  });

  it('lists movements, the ledger, balances (also asOf) and the on-hand summary', async () => {
    const movements = await t.http().get('/api/inventory/movements?limit=2').set(auth);
    expect(movements.status).toBe(200);
    expect((movements.body as { data: unknown[]; nextCursor: string | null }).data).toHaveLength(2);
    const next = await t
      .http()
      .get(`/api/inventory/movements?limit=2&cursor=${(movements.body as { nextCursor: string }).nextCursor}`)
      .set(auth);
    expect(next.status).toBe(200);
    const first = (movements.body as { data: { id: string }[] }).data.map((m) => m.id);
    expect(
      (next.body as { data: { id: string }[] }).data.map((m) => m.id).some((id) => first.includes(id)),
    ).toBe(false);

    const detail = await t.http().get(`/api/inventory/movements/${first[0]}`).set(auth);
    expect(detail.status).toBe(200);
    expect((detail.body as { lines: unknown[] }).lines.length).toBeGreaterThan(0);

    const ledger = await t.http().get(`/api/inventory/ledger?itemId=${widget}&locationId=${binA}`).set(auth);
    const entries = (ledger.body as { data: { qtyBase: string }[] }).data;
    const sum = entries.reduce((total, e) => total + Number(e.qtyBase), 0);
    expect(String(sum)).toBe(await balance(widget, binA));

    const past = await t
      .http()
      .get(`/api/inventory/balances?itemId=${widget}&asOf=2000-01-01T00:00:00Z`)
      .set(auth);
    expect((past.body as { data: unknown[] }).data).toEqual([]);
    const now = await t
      .http()
      .get(`/api/inventory/balances?itemId=${widget}&asOf=${new Date(Date.now() + 60_000).toISOString()}`)
      .set(auth);
    const asOf = (now.body as { data: { locationId: string; qty: string }[] }).data;
    expect(asOf.find((b) => b.locationId === binA)?.qty).toBe(await balance(widget, binA));

    const summary = await t.http().get('/api/inventory').set(auth);
    const row = (
      summary.body as {
        data: { itemId: string; onHand: string; locations: { locationId: string; qty: string }[] }[];
      }
    ).data.find((r) => r.itemId === widget)!;
    expect(Number(row.onHand)).toBe(
      Number(await balance(widget, binA)) + Number(await balance(widget, binB)),
    );
    expect(row.locations.map((l) => l.locationId).sort()).toEqual([binA, binB].sort());
  });

  it('archives an item with history on DELETE, deletes one without, and records outbox events', async () => {
    await t.http().delete(`/api/items/${widget}`).set(auth).expect(204);
    const archived = await t.http().get(`/api/items/${widget}`).set(auth);
    expect(archived.body).toMatchObject({ archived: true });
    const fresh = await createItem({ sku: 'TMP', name: 'Temporary', baseUom: 'ea' });
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
