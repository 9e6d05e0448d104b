import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { randomUUID } from 'node:crypto';
import { ReconciliationService } from '../../src/modules/reconciliation/index.js';
import { bodyOf } from '../support/api-body.js';
import type { ItemView, LocationView, Problem } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

interface Reservation {
  id: string;
  status: string;
  lines: { qty: string; openQty: string; consumedQty: string }[];
}

interface Availability {
  itemId: string;
  locationId: string;
  onHand: string;
  reserved: string;
  available: string;
}

/**
 * Reservations through HTTP under concurrency: PostgreSQL decides who gets the last units (change_stock, in the
 * transaction), so no interleaving oversells. Ground truth is SQL as the owner.
 */
describe('reservations: no oversell under concurrency', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: Record<string, string>;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000', DATABASE_POOL_SIZE: '20' } });
    tenant = await createTenant(t, 'reservations');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
  });
  afterAll(() => t.close());

  async function stockedKey(qty: number): Promise<{ itemId: string; locationId: string }> {
    const sku = `R-${Math.random().toString(36).slice(2, 10)}`;
    const item = bodyOf<ItemView>(
      await t.http().post('/api/items').set(auth).send({ sku, name: sku, baseUom: 'ea' }),
    );
    const location = bodyOf<LocationView>(
      await t.http().post('/api/locations').set(auth).send({ site: 'S', name: sku }),
    );
    const receipt = await t
      .http()
      .post('/api/inventory/movements')
      .set(auth)
      .send({ type: 'receipt', lines: [{ itemId: item.id, locationId: location.id, qty }] });
    expect(receipt.status).toBe(201);
    return { itemId: item.id, locationId: location.id };
  }

  const reserve = (lines: object[]): Promise<Response> =>
    t.http().post('/api/inventory/reservations').set(auth).send({ reference: 'SO-1', lines });
  const issue = (key: object, qty: number, reservationId?: string): Promise<Response> =>
    t
      .http()
      .post('/api/inventory/movements')
      .set(auth)
      .send({ type: 'issue', ...(reservationId && { reservationId }), lines: [{ ...key, qty }] });
  const availability = async (key: { itemId: string; locationId: string }): Promise<Availability> => {
    const response = await t
      .http()
      .get(`/api/inventory/availability?itemIds=${key.itemId}&locationIds=${key.locationId}`)
      .set(auth);
    expect(response.status).toBe(200);
    return (response.body as { data: Availability[] }).data[0];
  };
  const statuses = (responses: Response[]) =>
    responses.reduce<Record<string, number>>((counts, response) => {
      const name = response.status === 201 ? '201' : `${response.status} ${(response.body as Problem).type}`;
      return { ...counts, [name]: (counts[name] ?? 0) + 1 };
    }, {});

  /** Stored counters against their sources: balances = ledger, reserved = open lines; both lists must be empty. */
  async function drift(tenantId: string) {
    const balances = await t.database.query(
      `select b.item_id from inventory_balances b
         left join (select item_id, location_id, lot_id, sum(qty_base) as total from inventory_ledger
                     where tenant_id = $1 group by 1, 2, 3) l
           on l.item_id = b.item_id and l.location_id = b.location_id and l.lot_id is not distinct from b.lot_id
        where b.tenant_id = $1 and b.qty <> coalesce(l.total, 0)`,
      [tenantId],
    );
    const reserved = await t.database.query(
      `select p.item_id from inventory_positions p
         left join (select item_id, location_id, sum(open_qty) as open from reservation_lines
                     where tenant_id = $1 group by 1, 2) r on r.item_id = p.item_id and r.location_id = p.location_id
        where p.tenant_id = $1 and p.reserved <> coalesce(r.open, 0)`,
      [tenantId],
    );
    return { balances, reserved };
  }

  it('200 concurrent single-unit reservations against 50 available: exactly 50 succeed', async () => {
    const key = await stockedKey(50);
    const responses = await Promise.all(Array.from({ length: 200 }, () => reserve([{ ...key, qty: 1 }])));
    expect(statuses(responses)).toEqual({ '201': 50, '409 insufficient-available': 150 });
    const refused = responses.find((response) => response.status === 409)!;
    expect(refused.body).toMatchObject({ ...key, lotCode: null, available: '0', requested: '1' });
    expect(await availability(key)).toEqual({ ...key, onHand: '50', reserved: '50', available: '0' });

    // Nothing is free: 20 concurrent issues without a reservation are all refused.
    const unreserved = await Promise.all(Array.from({ length: 20 }, () => issue(key, 1)));
    expect(statuses(unreserved)).toEqual({ '409 insufficient-available': 20 });

    // Each reservation ships its own unit, concurrently.
    const reservations = responses.filter((response) => response.status === 201).map(bodyOf<Reservation>);
    const shipped = await Promise.all(reservations.map((reservation) => issue(key, 1, reservation.id)));
    expect(statuses(shipped)).toEqual({ '201': 50 });
    expect(await availability(key)).toEqual({ ...key, onHand: '0', reserved: '0', available: '0' });
    const report = await t.app.get(ReconciliationService).reconcile({ tenant: tenant.id, trigger: 'test' });
    expect(report.driftKeys).toBe(0);
    const done = await t
      .http()
      .get(`/api/inventory/reservations?itemId=${key.itemId}&status=consumed&limit=500`)
      .set(auth);
    expect((done.body as { data: Reservation[] }).data).toHaveLength(50);
    expect(await drift(tenant.id)).toEqual({ balances: [], reserved: [] });
  });

  it('two lines on one key are summed: 3 + 3 against 4 available is refused and reserves nothing', async () => {
    const key = await stockedKey(4);
    const response = await reserve([
      { ...key, qty: 3 },
      { ...key, qty: 3 },
    ]);
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({
      type: 'insufficient-available',
      ...key,
      available: '4',
      requested: '6',
    });
    expect(await availability(key)).toEqual({ ...key, onHand: '4', reserved: '0', available: '4' });
  });

  it('a reservation and issues racing on one key do not deadlock and do not oversell', async () => {
    const key = await stockedKey(30);
    const work = Array.from({ length: 60 }, (_, index) =>
      index % 2 === 0 ? reserve([{ ...key, qty: 1 }]) : issue(key, 1),
    );
    const responses = await Promise.all(work);
    const outcomes = statuses(responses);
    expect(outcomes['201']).toBe(30);
    expect(Object.keys(outcomes).sort()).toEqual(['201', '409 insufficient-available']);
    const after = await availability(key);
    expect(after.available).toBe('0');
    expect(await drift(tenant.id)).toEqual({ balances: [], reserved: [] });
  });

  it('releases, partly and then whole, through the API; a foreign id is 404', async () => {
    const key = await stockedKey(10);
    const reservation = bodyOf<Reservation>(await reserve([{ ...key, qty: 6 }]));
    const part = await t
      .http()
      .post(`/api/inventory/reservations/${reservation.id}/release`)
      .set(auth)
      .send({ lines: [{ ...key, qty: 2 }] });
    expect(part.status).toBe(200);
    expect(bodyOf<Reservation>(part).lines[0]).toMatchObject({ openQty: '4' });
    const rest = await t.http().post(`/api/inventory/reservations/${reservation.id}/release`).set(auth);
    expect(bodyOf<Reservation>(rest)).toMatchObject({ status: 'released' });
    const again = await t.http().post(`/api/inventory/reservations/${reservation.id}/release`).set(auth);
    expect(again.body).toMatchObject({ type: 'reservation-not-active', reservationStatus: 'released' });
    const other = await createTenant(t, 'other');
    const foreign = await t
      .http()
      .get(`/api/inventory/reservations/${reservation.id}`)
      .set({ Authorization: `Bearer ${other.admin.token}` });
    expect(foreign.status).toBe(404);
  });

  it('looks up availability by GET and by POST alike; more ids than allowed are a 400', async () => {
    const first = await stockedKey(7);
    const second = await stockedKey(3);
    expect((await reserve([{ ...second, qty: 2 }])).status).toBe(201);
    const get = await t
      .http()
      .get(`/api/inventory/availability?itemIds=${first.itemId},${second.itemId}`)
      .set(auth);
    const post = await t
      .http()
      .post('/api/inventory/availability')
      .set(auth)
      .send({ itemIds: [first.itemId, second.itemId] });
    expect(post.status).toBe(200);
    expect(post.body).toEqual(get.body);
    const rows = (get.body as { data: Availability[] }).data;
    expect(rows.map((row) => [row.itemId, row.onHand, row.reserved, row.available]).sort()).toEqual(
      [
        [first.itemId, '7', '0', '7'],
        [second.itemId, '3', '2', '1'],
      ].sort(),
    );
    const ids = Array.from({ length: 101 }, () => randomUUID());
    const tooMany = await t
      .http()
      .get(`/api/inventory/availability?itemIds=${ids.join(',')}`)
      .set(auth);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body).toMatchObject({ type: 'validation-failed' });
    const notIds = await t.http().get('/api/inventory/availability?itemIds=a,b').set(auth);
    expect(notIds.status).toBe(400);
  });
});
