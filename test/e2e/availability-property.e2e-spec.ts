import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { ReservationExpiry } from '../../src/modules/reservations/index.js';
import { bodyOf } from '../support/api-body.js';
import type { CountSheetView, ItemView, LocationView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant } from '../support/tenant-factory.js';

/** A key of the run: item 0 is plain, item 1 lot-tracked (lots A and B, or none for a reservation). */
interface KeyChoice {
  item: number;
  location: number;
  lot: number;
}

type Operation =
  | { kind: 'receipt' | 'adjustment'; key: KeyChoice; qty: number }
  | { kind: 'issue'; key: KeyChoice; qty: number; reservation: number | null }
  | { kind: 'transfer'; key: KeyChoice; to: number; qty: number; reservation: number | null }
  | { kind: 'reserve'; keys: KeyChoice[]; qty: number; expiresSoon: boolean }
  | { kind: 'release'; reservation: number; part: boolean }
  | { kind: 'count'; key: KeyChoice; counted: number };

const LOTS = ['A', 'B'];
const key = fc.record({
  item: fc.integer({ min: 0, max: 1 }),
  location: fc.integer({ min: 0, max: 1 }),
  lot: fc.integer({ min: 0, max: 2 }), // 2: no lot (a reservation of the lot-tracked item at the location)
});
const reservationRef = fc.option(fc.nat({ max: 20 }), { nil: null });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  fc.record({ kind: fc.constant('receipt' as const), key, qty: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('adjustment' as const), key, qty: fc.integer({ min: -6, max: 6 }) }),
  fc.record({
    kind: fc.constant('issue' as const),
    key,
    qty: fc.integer({ min: 1, max: 8 }),
    reservation: reservationRef,
  }),
  fc.record({
    kind: fc.constant('transfer' as const),
    key,
    to: fc.integer({ min: 0, max: 1 }),
    qty: fc.integer({ min: 1, max: 6 }),
    reservation: reservationRef,
  }),
  fc.record({
    kind: fc.constant('reserve' as const),
    keys: fc.array(key, { minLength: 1, maxLength: 2 }),
    qty: fc.integer({ min: 1, max: 6 }),
    expiresSoon: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('release' as const), reservation: fc.nat({ max: 20 }), part: fc.boolean() }),
  fc.record({ kind: fc.constant('count' as const), key, counted: fc.integer({ min: 0, max: 12 }) }),
);

/** Operations run this many at a time: each batch is sent concurrently, batches one after another. */
const CONCURRENCY = 6;

/**
 * Random receipts, issues and transfers (with and without a reservation), adjustments, reservations (some expiring
 * during the run), partial and full releases and a count, sent concurrently through HTTP. After each run, ground
 * truth in SQL: balances = ledger; positions' on hand = their balances; the reserved counters = the open lines;
 * under deny nothing but the count's approval took on hand or available below zero; what the events say was
 * consumed, released and expired is what the lines record, each once; one created event per reservation, one
 * movement.posted per movement.
 */
describe('availability holds under concurrent random work (property)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      env: { THROTTLE_LIMIT: '1000000', LOGIN_THROTTLE_LIMIT: '1000', DATABASE_POOL_SIZE: '12' },
    });
  });
  afterAll(() => t.close());

  it('stock, reservations and their events agree after every run', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 10, maxLength: 40 }), async (operations) => {
        const tenant = await createTenant(t, 'avail-prop');
        const auth = { Authorization: `Bearer ${tenant.admin.token}` };
        const http = () => t.http();
        const post = (path: string, body?: object) => http().post(path).set(auth).send(body);

        const items = [
          bodyOf<ItemView>(await post('/api/items', { sku: 'PLAIN', name: 'plain', baseUom: 'ea' })).id,
          bodyOf<ItemView>(
            await post('/api/items', { sku: 'LOTTED', name: 'lotted', baseUom: 'ea', lotTracked: true }),
          ).id,
        ];
        const locations = [0, 1].map(
          async (i) => bodyOf<LocationView>(await post('/api/locations', { site: 'S', name: `L${i}` })).id,
        );
        const bins = await Promise.all(locations);
        const line = (choice: KeyChoice, qty: number, forReservation = false) => {
          const lot =
            choice.item === 1 ? (LOTS[choice.lot] ?? (forReservation ? undefined : 'A')) : undefined;
          return {
            itemId: items[choice.item],
            locationId: bins[choice.location],
            qty,
            ...(lot && { lotCode: lot }),
          };
        };
        for (const item of [0, 1])
          for (const location of [0, 1])
            for (const lot of item === 1 ? [0, 1] : [0])
              expect(
                (
                  await post('/api/inventory/movements', {
                    type: 'receipt',
                    lines: [line({ item, location, lot }, 10)],
                  })
                ).status,
              ).toBe(201);
        const sheet = bodyOf<CountSheetView>(await post('/api/counts', {}));
        expect((await post(`/api/counts/${sheet.id}/start`)).status).toBe(200);

        const reservations: {
          id: string;
          lines: { itemId: string; locationId: string; lotCode?: string; qty: number }[];
        }[] = [];
        const expiring: string[] = [];
        const counted = new Set<string>();
        let movements = 0;
        let consumingMovements = 0;
        let releases = 0;
        const reservationOf = (index: number | null) =>
          index === null || reservations.length === 0 ? undefined : reservations[index % reservations.length];

        const run = async (op: Operation): Promise<Response | undefined> => {
          switch (op.kind) {
            case 'receipt':
            case 'adjustment':
              if (op.qty === 0) return undefined;
              return post('/api/inventory/movements', { type: op.kind, lines: [line(op.key, op.qty)] });
            case 'issue':
            case 'transfer': {
              if (op.kind === 'transfer' && op.to === op.key.location) return undefined;
              const reservation = reservationOf(op.reservation);
              const movementLine = {
                ...line(op.key, op.qty),
                ...(op.kind === 'transfer' && { toLocationId: bins[op.to] }),
              };
              const response = await post('/api/inventory/movements', {
                type: op.kind,
                ...(reservation && { reservationId: reservation.id }),
                lines: [movementLine],
              });
              if (response.status === 201 && reservation) {
                const consumed = await t.database.query(
                  `select 1 from outbox_events where type = 'reservation.consumed' and payload ->> 'movementId' = $1`,
                  [bodyOf<{ id: string }>(response).id],
                );
                consumingMovements += consumed.length;
              }
              return response;
            }
            case 'reserve': {
              const lines = op.keys.map((choice) => line(choice, op.qty, true));
              const expiresAt = op.expiresSoon ? new Date(Date.now() + 3000).toISOString() : undefined;
              const response = await post('/api/inventory/reservations', {
                reference: 'SO',
                expiresAt,
                lines,
              });
              if (response.status === 201) {
                const id = bodyOf<{ id: string }>(response).id;
                reservations.push({ id, lines });
                if (expiresAt) expiring.push(expiresAt);
              }
              return response;
            }
            case 'release': {
              const reservation = reservationOf(op.reservation);
              if (!reservation) return undefined;
              const body = op.part ? { lines: [{ ...reservation.lines[0], qty: 1 }] } : {};
              const response = await post(`/api/inventory/reservations/${reservation.id}/release`, body);
              if (response.status === 200) releases += 1;
              return response;
            }
            case 'count': {
              const counting = line(op.key, 0);
              counted.add(`${counting.itemId}/${counting.locationId}`);
              return http()
                .put(`/api/counts/${sheet.id}/lines`)
                .set(auth)
                .send({ lines: [{ ...counting, qty: undefined, countedQty: op.counted }] });
            }
          }
        };

        for (let start = 0; start < operations.length; start += CONCURRENCY) {
          const batch = operations.slice(start, start + CONCURRENCY);
          const responses = await Promise.all(batch.map(run));
          responses.forEach((response, index) => {
            if (!response) return;
            // A refusal is a 409 (not enough stock or available, a reservation no longer active, more released
            // than open); anything else is a defect.
            if (![200, 201, 409].includes(response.status)) {
              expect({
                operation: batch[index],
                status: response.status,
                body: response.body as unknown,
              }).toBe('answered 200, 201 or 409');
            }
            const kind = batch[index].kind;
            const moves =
              kind === 'receipt' || kind === 'adjustment' || kind === 'issue' || kind === 'transfer';
            if (response.status === 201 && moves) movements += 1;
          });
        }
        expect((await post(`/api/counts/${sheet.id}/submit`)).status).toBe(200);
        const approval = await post(`/api/counts/${sheet.id}/approve`, {});
        expect(approval.status).toBe(200);
        const countMovements = (
          await t.database.query(
            `select 1 from inventory_movements where tenant_id = $1 and reference = $2`,
            [tenant.id, sheet.countNumber],
          )
        ).length;

        // Every expiry passes, then the job records it.
        for (const moment of expiring) {
          for (;;) {
            const [{ passed }] = await t.database.query<{ passed: boolean }>(
              `select now() > $1::timestamptz as passed`,
              [moment],
            );
            if (passed) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        const expired = await t.app.get(ReservationExpiry).expire(tenant.id);
        expect(expired.ran).toBe(true);

        const q = (sql: string) => t.database.query(sql, [tenant.id]);
        expect(
          await q(`select b.item_id from inventory_balances b
                    left join (select item_id, location_id, lot_id, sum(qty_base) as total from inventory_ledger
                                where tenant_id = $1 group by 1, 2, 3) l
                      on l.item_id = b.item_id and l.location_id = b.location_id and l.lot_id is not distinct from b.lot_id
                   where b.tenant_id = $1 and b.qty <> coalesce(l.total, 0)`),
        ).toEqual([]);
        expect(
          await q(`select p.item_id from inventory_positions p
                    left join (select item_id, location_id, sum(open_qty) as open from reservation_lines
                                where tenant_id = $1 group by 1, 2) r
                      on r.item_id = p.item_id and r.location_id = p.location_id
                   where p.tenant_id = $1 and p.reserved <> coalesce(r.open, 0)`),
        ).toEqual([]);
        expect(
          await q(`select p.item_id from inventory_positions p
                    left join (select item_id, location_id, sum(qty) as qty from inventory_balances
                                where tenant_id = $1 group by 1, 2) b
                      on b.item_id = p.item_id and b.location_id = p.location_id
                   where p.tenant_id = $1 and p.on_hand <> coalesce(b.qty, 0)`),
        ).toEqual([]);
        // Under deny only the count's approval may take a key below zero (on hand, or available per position or lot).
        const belowZero = await t.database.query<{ key: string }>(
          `select a.item_id || '/' || a.location_id as key from stock_availability($1) a
            where a.available < 0 or a.on_hand < 0
           union
           select b.item_id || '/' || b.location_id from inventory_balances b
            where b.tenant_id = $1 and b.lot_id is not null
              and b.qty - key_reserved(b.tenant_id, b.item_id, b.location_id, b.lot_id) < 0`,
          [tenant.id],
        );
        expect(belowZero.map((row) => row.key).filter((k) => !counted.has(k))).toEqual([]);
        // What the events say each reservation lost is what its lines record, each once.
        expect(
          await q(`with told as (
                     select (payload ->> 'reservationId')::uuid as id, type,
                            sum((c ->> 'qty')::numeric) as qty
                       from outbox_events, jsonb_array_elements(coalesce(payload -> 'consumed', payload -> 'released')) c
                      where tenant_id = $1 and type in ('reservation.consumed', 'reservation.released')
                      group by 1, 2)
                   select r.id from reservations r
                    where r.tenant_id = $1 and (
                      (select coalesce(sum(consumed_qty), 0) from reservation_lines l where l.tenant_id = $1 and l.reservation_id = r.id)
                        <> coalesce((select qty from told where told.id = r.id and type = 'reservation.consumed'), 0)
                      or (select coalesce(sum(released_qty), 0) from reservation_lines l where l.tenant_id = $1 and l.reservation_id = r.id)
                        <> coalesce((select qty from told where told.id = r.id and type = 'reservation.released'), 0)
                      or (select count(*) from outbox_events e where e.tenant_id = $1 and e.type = 'reservation.created'
                            and e.payload ->> 'id' = r.id::text) <> 1
                      or (select count(*) from outbox_events e where e.tenant_id = $1 and e.type = 'reservation.expired'
                            and e.payload ->> 'reservationId' = r.id::text) <> (case when r.status = 'expired' then 1 else 0 end)
                      or (r.status = 'expired') <> exists (select 1 from reservation_lines l where l.tenant_id = $1
                            and l.reservation_id = r.id and l.expired_qty > 0)
                      or (r.status = 'active') <> exists (select 1 from reservation_lines l where l.tenant_id = $1
                            and l.reservation_id = r.id and l.open_qty > 0))`),
        ).toEqual([]);
        const [events] = await t.database.query<{
          posted: number;
          consumed: number;
          released: number;
          reservations: number;
        }>(
          `select count(*) filter (where type = 'movement.posted')::int as posted,
                  count(*) filter (where type = 'reservation.consumed')::int as consumed,
                  count(*) filter (where type = 'reservation.released')::int as released,
                  (select count(*) from reservations where tenant_id = $1)::int as reservations
             from outbox_events where tenant_id = $1`,
          [tenant.id],
        );
        expect(events).toEqual({
          posted: 4 + 2 + movements + countMovements, // set-up receipts (plain: 2 keys, lotted: 4) and the approval
          consumed: consumingMovements,
          released: releases,
          reservations: reservations.length,
        });
      }),
      { numRuns: 5 },
    );
  });
});
