import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ReconciliationService } from '../../src/modules/reconciliation/index.js';
import { bodyOf } from '../support/api-body.js';
import type { CountSheetView, ItemView, LocationView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant } from '../support/tenant-factory.js';

type Operation =
  | { kind: 'receipt' | 'issue'; item: number; location: number; qty: number }
  | { kind: 'transfer'; item: number; from: number; to: number; qty: number }
  | { kind: 'count'; item: number; location: number; counted: number };

const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({
    kind: fc.constantFrom('receipt' as const, 'issue' as const),
    item: fc.integer({ min: 0, max: 1 }),
    location: fc.integer({ min: 0, max: 1 }),
    qty: fc.integer({ min: 1, max: 20 }),
  }),
  fc.record({
    kind: fc.constant('transfer' as const),
    item: fc.integer({ min: 0, max: 1 }),
    from: fc.integer({ min: 0, max: 1 }),
    to: fc.integer({ min: 0, max: 1 }),
    qty: fc.integer({ min: 1, max: 10 }),
  }),
  fc.record({
    kind: fc.constant('count' as const),
    item: fc.integer({ min: 0, max: 1 }),
    location: fc.integer({ min: 0, max: 1 }),
    counted: fc.integer({ min: 0, max: 40 }),
  }),
);

/**
 * Random movements interleaved with a count of random keys (re-counts included): after approval, every counted
 * key's balance equals its counted quantity plus the net movements posted after its (last) line was entered, and
 * the reconciliation finds no drift.
 */
describe('counts stay right while stock moves (property)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '1000000', LOGIN_THROTTLE_LIMIT: '1000' } });
  });
  afterAll(() => t.close());

  it('balance after approval = counted + movements after the count, per key; no drift', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 30 }), async (operations) => {
        const tenant = await createTenant(t, 'prop');
        const auth = { Authorization: `Bearer ${tenant.admin.token}` };
        const http = () => t.http();
        const items: string[] = [];
        const locations: string[] = [];
        for (const i of [0, 1]) {
          items.push(
            bodyOf<ItemView>(
              await http()
                .post('/api/items')
                .set(auth)
                .send({ sku: `P${i}`, name: 'p', baseUom: 'ea' }),
            ).id,
          );
          locations.push(
            bodyOf<LocationView>(
              await http()
                .post('/api/locations')
                .set(auth)
                .send({ site: 'S', name: `L${i}` }),
            ).id,
          );
        }
        for (const itemId of items) {
          for (const locationId of locations) {
            await http()
              .post('/api/inventory/movements')
              .set(auth)
              .send({ type: 'receipt', lines: [{ itemId, locationId, qty: 10 }] })
              .expect(201);
          }
        }
        const sheet = bodyOf<CountSheetView>(await http().post('/api/counts').set(auth).send({}));
        await http().post(`/api/counts/${sheet.id}/start`).set(auth).expect(200);

        for (const op of operations) {
          if (op.kind === 'count') {
            await http()
              .put(`/api/counts/${sheet.id}/lines`)
              .set(auth)
              .send({
                lines: [
                  { itemId: items[op.item], locationId: locations[op.location], countedQty: op.counted },
                ],
              })
              .expect(200);
          } else if (op.kind === 'transfer') {
            if (op.from === op.to) continue;
            const response = await http()
              .post('/api/inventory/movements')
              .set(auth)
              .send({
                type: 'transfer',
                lines: [
                  {
                    itemId: items[op.item],
                    locationId: locations[op.from],
                    toLocationId: locations[op.to],
                    qty: op.qty,
                  },
                ],
              });
            expect([201, 409]).toContain(response.status);
          } else {
            const response = await http()
              .post('/api/inventory/movements')
              .set(auth)
              .send({
                type: op.kind,
                lines: [{ itemId: items[op.item], locationId: locations[op.location], qty: op.qty }],
              });
            expect([201, 409]).toContain(response.status);
          }
        }
        await http().post(`/api/counts/${sheet.id}/submit`).set(auth).expect(200);
        await http().post(`/api/counts/${sheet.id}/approve`).set(auth).send({}).expect(200);

        // Per counted key: balance = counted + ledger posted after the line's entry (the approval's own adjustment
        // excluded). Operations ran one after another, so entry and posting times are ordered.
        const mismatches = await t.database.query<{
          item_id: string;
          location_id: string;
          balance: string;
          expected: string;
        }>(
          `select c.item_id, c.location_id, trim_scale(b.qty)::text as balance,
                  trim_scale(c.counted_qty + coalesce((
                    select sum(l.qty_base) from inventory_ledger l
                      join inventory_movements m on m.tenant_id = l.tenant_id and m.id = l.movement_id
                     where l.tenant_id = c.tenant_id and l.item_id = c.item_id and l.location_id = c.location_id
                       and l.lot_id is null and l.created_at > c.counted_at and m.reference is distinct from $2), 0))::text
                    as expected
             from count_lines c
             join inventory_balances b on b.tenant_id = c.tenant_id and b.item_id = c.item_id
                                      and b.location_id = c.location_id and b.lot_id is null
            where c.sheet_id = $1 and c.counted_qty is not null
              and b.qty <> c.counted_qty + coalesce((
                    select sum(l.qty_base) from inventory_ledger l
                      join inventory_movements m on m.tenant_id = l.tenant_id and m.id = l.movement_id
                     where l.tenant_id = c.tenant_id and l.item_id = c.item_id and l.location_id = c.location_id
                       and l.lot_id is null and l.created_at > c.counted_at and m.reference is distinct from $2), 0)`,
          [sheet.id, sheet.countNumber],
        );
        expect(mismatches).toEqual([]);
        const report = await t.app
          .get(ReconciliationService)
          .reconcile({ tenant: tenant.id, trigger: 'test' });
        expect(report.driftKeys).toBe(0);
      }),
      { numRuns: 6 },
    );
  });
});
