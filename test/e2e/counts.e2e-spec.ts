import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bodyOf } from '../support/api-body.js';
import type {
  BalancePage,
  CountApprovalView,
  CountSheetView,
  ItemView,
  LocationView,
  Problem,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, type TestTenant, type TestUser } from '../support/tenant-factory.js';

describe('physical counts', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };
  let lotted: string;
  let bin: string;
  let counter: TestUser;

  const http = () => t.http();

  /** An item of the test's own: its stock at `bin` is what the test posted. */
  async function freshItem(name: string): Promise<string> {
    const sku = `C-${name}-${randomUUID().slice(0, 8)}`;
    const created = await http().post('/api/items').set(auth).send({ sku, name, baseUom: 'ea' });
    expect(created.status).toBe(201);
    return bodyOf<ItemView>(created).id;
  }

  async function receive(itemId: string, qty: string, lotCode?: string) {
    await http()
      .post('/api/inventory/movements')
      .set(auth)
      .send({ type: 'receipt', lines: [{ itemId, locationId: bin, qty, ...(lotCode && { lotCode }) }] })
      .expect(201);
  }

  async function issue(itemId: string, qty: string) {
    await http()
      .post('/api/inventory/movements')
      .set(auth)
      .send({ type: 'issue', lines: [{ itemId, locationId: bin, qty }] })
      .expect(201);
  }

  async function balance(itemId: string): Promise<string> {
    const response = await http().get(`/api/inventory/balances?itemId=${itemId}&locationId=${bin}`).set(auth);
    return bodyOf<BalancePage>(response).data[0]?.qty ?? '0';
  }

  async function sheetFor(itemIds: string[], blind = false): Promise<CountSheetView> {
    const created = await http()
      .post('/api/counts')
      .set(auth)
      .send({ itemIds, locationIds: [bin], blind });
    expect(created.status).toBe(201);
    return bodyOf<CountSheetView>(created);
  }

  async function lifecycle(
    sheet: CountSheetView,
    count: () => Promise<void>,
    between?: () => Promise<void>,
  ): Promise<CountApprovalView> {
    await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);
    await between?.();
    await count();
    await http().post(`/api/counts/${sheet.id}/submit`).set(auth).expect(200);
    const approved = await http().post(`/api/counts/${sheet.id}/approve`).set(auth).send({});
    expect(approved.status).toBe(200);
    return bodyOf<CountApprovalView>(approved);
  }

  const countLine = (sheet: CountSheetView, itemId: string, countedQty: string) =>
    http()
      .put(`/api/counts/${sheet.id}/lines`)
      .set(auth)
      .send({ lines: [{ itemId, locationId: bin, countedQty }] })
      .expect(200);

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    tenant = await createTenant(t, 'counts');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
    const created = await http()
      .post('/api/items')
      .set(auth)
      .send({ sku: 'C-L', name: 'Lotted', baseUom: 'ea', lotTracked: true });
    lotted = bodyOf<ItemView>(created).id;
    bin = bodyOf<LocationView>(
      await http().post('/api/locations').set(auth).send({ site: 'S', name: 'Bin' }),
    ).id;
    counter = await createUser(t, tenant, ['Counter']);
  });
  afterAll(() => t.close());

  it('10 on hand, 3 issued after start, counted 7: variance 0 and nothing posted for that key', async () => {
    const item = await freshItem('Counted');
    await receive(item, '10');
    const sheet = await sheetFor([item]);
    expect(sheet).toMatchObject({ status: 'draft', countNumber: expect.stringMatching(/^CNT-\d{6}$/) });
    const result = await lifecycle(
      sheet,
      () => countLine(sheet, item, '7').then(() => undefined),
      () => issue(item, '3'),
    );
    expect(result.movement).toBeNull();
    expect(result.sheet).toMatchObject({ status: 'posted', movementId: null });
    expect(await balance(item)).toBe('7');
  });

  it('7 on hand, counted 5: one adjustment of -2, balance ends at 5', async () => {
    const item = await freshItem('Counted');
    await receive(item, '7');
    const sheet = await sheetFor([item]);
    const result = await lifecycle(sheet, () => countLine(sheet, item, '5').then(() => undefined));
    expect(result.movement!.lines!.map((l) => l.qtyBase)).toEqual(['-2']);
    expect(await balance(item)).toBe('5');
    const detail = await http().get(`/api/counts/${sheet.id}`).set(auth);
    expect(bodyOf<CountSheetView>(detail).lines).toEqual([
      expect.objectContaining({ itemId: item, expectedQty: '7', variance: '-2' }),
    ]);
  });

  it('a receipt of 4 mid-count, counted 14 (4 + the 10 there): variance 0; moves after the count stay on top', async () => {
    const item = await freshItem('Counted');
    await receive(item, '10');
    const sheet = await sheetFor([item]);
    await lifecycle(
      sheet,
      async () => {
        await countLine(sheet, item, '14');
        await receive(item, '1'); // after the line was counted, before approval
      },
      () => receive(item, '4'),
    );
    expect(await balance(item)).toBe('15');
  });

  it('exempts the adjustment from the negative-stock rule: counted 0, then 5 issued, approval takes it to -5', async () => {
    const other = await freshItem('Neg');
    await receive(other, '5');
    const sheet = await sheetFor([other]);
    const result = await lifecycle(sheet, async () => {
      await countLine(sheet, other, '0');
      await issue(other, '5');
    });
    expect(result.movement!.lines!.map((l) => l.qtyBase)).toEqual(['-5']);
    expect(await balance(other)).toBe('-5');
  });

  it('leaves uncounted lines alone unless zeroUncounted, and records count events in the outbox', async () => {
    const quiet = await freshItem('Zero');
    await receive(quiet, '6');
    const first = await sheetFor([quiet]);
    const untouched = await lifecycle(first, () => Promise.resolve());
    expect(untouched.movement).toBeNull();
    expect(await balance(quiet)).toBe('6');

    const second = await sheetFor([quiet]);
    await http().post(`/api/counts/${second.id}/start`).set(auth).expect(200);
    await http().post(`/api/counts/${second.id}/submit`).set(auth).expect(200);
    const zeroed = await http()
      .post(`/api/counts/${second.id}/approve`)
      .set(auth)
      .send({ zeroUncounted: true });
    expect(zeroed.status).toBe(200);
    expect(bodyOf<CountApprovalView>(zeroed).movement!.lines!.map((l) => l.qtyBase)).toEqual(['-6']);
    expect(await balance(quiet)).toBe('0');

    const events = await t.database.query<{ type: string }>(
      `select type from outbox_events where tenant_id = $1 and payload ->> 'id' = $2 order by created_at, type`,
      [tenant.id, second.id],
    );
    expect(events.map((e) => e.type).sort()).toEqual(['count.posted', 'count.started', 'count.submitted']);
  });

  it('refuses illegal transitions with 409 and approves once under concurrency', async () => {
    const item = await freshItem('Counted');
    const sheet = await sheetFor([item]);
    expect((await http().post(`/api/counts/${sheet.id}/submit`).set(auth)).status).toBe(409);
    expect(
      (
        await http()
          .put(`/api/counts/${sheet.id}/lines`)
          .set(auth)
          .send({ lines: [{ itemId: item, locationId: bin, countedQty: 1 }] })
      ).status,
    ).toBe(409);
    await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);
    await countLine(sheet, item, '1');
    await http().post(`/api/counts/${sheet.id}/submit`).set(auth).expect(200);
    const approvals = await Promise.all(
      Array.from({ length: 5 }, () => http().post(`/api/counts/${sheet.id}/approve`).set(auth).send({})),
    );
    expect(approvals.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from inventory_movements where tenant_id = $1 and reference = $2`,
      [tenant.id, sheet.countNumber],
    );
    expect(n).toBe(1);
    expect((await http().post(`/api/counts/${sheet.id}/cancel`).set(auth)).status).toBe(409);
    // Nothing on hand, counted 1: the one approval posted +1.
    expect(await balance(item)).toBe('1');
  });

  it('numbers sheets gap-free per tenant under concurrent creation in two tenants', async () => {
    const other = await createTenant(t, 'counts2');
    const create = (token: string) =>
      http().post('/api/counts').set('Authorization', `Bearer ${token}`).send({});
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => create(i % 2 ? other.admin.token : tenant.admin.token)),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    const numbers = await t.database.query<{ tenant_id: string; count_number: string }>(
      `select tenant_id, count_number from count_sheets where tenant_id = any($1::uuid[]) order by count_number`,
      [[tenant.id, other.id]],
    );
    for (const id of [tenant.id, other.id]) {
      const mine = numbers.filter((row) => row.tenant_id === id).map((row) => row.count_number);
      expect(mine).toEqual(mine.map((_, i) => `CNT-${String(i + 1).padStart(6, '0')}`));
    }
  });

  it('hides expected quantities of a blind sheet from a Counter, shows them to an approver', async () => {
    const item = await freshItem('Blind');
    const sheet = await sheetFor([item], true);
    await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);
    const asCounter = await http()
      .get(`/api/counts/${sheet.id}`)
      .set('Authorization', `Bearer ${counter.token}`);
    expect(asCounter.status).toBe(200);
    expect(JSON.stringify(asCounter.body)).not.toMatch(/expectedQty|variance|systemQtyAtEntry/);
    const entered = await http()
      .put(`/api/counts/${sheet.id}/lines`)
      .set('Authorization', `Bearer ${counter.token}`)
      .send({ lines: [{ itemId: item, locationId: bin, countedQty: '1' }] });
    expect(entered.status).toBe(200);
    expect(JSON.stringify(entered.body)).not.toMatch(/expectedQty|variance|systemQtyAtEntry/);
    const asAdmin = await http().get(`/api/counts/${sheet.id}`).set(auth);
    expect(bodyOf<CountSheetView>(asAdmin).lines![0]).toHaveProperty('expectedQty');
    expect(
      (
        await http()
          .post(`/api/counts/${sheet.id}/approve`)
          .set('Authorization', `Bearer ${counter.token}`)
          .send({})
      ).status,
    ).toBe(403);
  });

  it('refuses bad lines with 400 listing each and writes nothing', async () => {
    const item = await freshItem('Refused');
    const other = await createTenant(t, 'counts3');
    const foreignBin = bodyOf<LocationView>(
      await http()
        .post('/api/locations')
        .set('Authorization', `Bearer ${other.admin.token}`)
        .send({ site: 'X', name: 'Y' }),
    ).id;
    const sheet = await sheetFor([]);
    await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);
    const bad = await http()
      .put(`/api/counts/${sheet.id}/lines`)
      .set(auth)
      .send({
        lines: [
          { itemId: item, locationId: bin, countedQty: '-1' },
          { itemId: item, locationId: bin, countedQty: '1.1234567' },
        ],
      });
    expect(bad.status).toBe(400);
    const refused = await http()
      .put(`/api/counts/${sheet.id}/lines`)
      .set(auth)
      .send({
        lines: [
          { itemId: '00000000-0000-4000-8000-000000000000', locationId: bin, countedQty: '1' },
          { itemId: item, locationId: foreignBin, countedQty: '1' },
          { itemId: item, locationId: bin, countedQty: '1', lotCode: 'L1' },
          { itemId: lotted, locationId: bin, countedQty: '1' },
        ],
      });
    expect(refused.status).toBe(400);
    expect(bodyOf<Problem>(refused).errors!.map((e) => e.field)).toEqual([
      'lines[0].itemId',
      'lines[1].locationId',
      'lines[2].lotCode',
      'lines[3].lotCode',
    ]);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from count_lines where sheet_id = $1 and counted_qty is not null`,
      [sheet.id],
    );
    expect(n).toBe(0);
  });

  it('takes 10,000 lines in one request', async () => {
    const items: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      items.push(
        bodyOf<ItemView>(
          await http()
            .post('/api/items')
            .set(auth)
            .send({ sku: `BULK-${i}`, name: 'Bulk', baseUom: 'ea' }),
        ).id,
      );
    }
    const bins: string[] = [];
    for (let i = 0; i < 100; i += 1) {
      bins.push(
        bodyOf<LocationView>(
          await http()
            .post('/api/locations')
            .set(auth)
            .send({ site: 'Bulk', name: `B${i}` }),
        ).id,
      );
    }
    const created = await http().post('/api/counts').set(auth).send({ itemIds: items, locationIds: bins });
    const sheet = bodyOf<CountSheetView>(created);
    await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);
    const lines = items.flatMap((itemId) =>
      bins.map((locationId) => ({ itemId, locationId, countedQty: '1' })),
    );
    expect(lines).toHaveLength(10_000);
    const response = await http().put(`/api/counts/${sheet.id}/lines`).set(auth).send({ lines });
    expect(response.status).toBe(200);
    expect(bodyOf<CountSheetView>(response).lines).toHaveLength(10_000);
  });
});
