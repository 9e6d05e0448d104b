import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  balance,
  failedPosting,
  openSqlDatabase,
  postMovement,
  sqlFixtures,
  type SqlDatabase,
  type SqlTenant,
} from '../support/sql-database.js';

/** post_movement() called directly, as the service calls it (db/functions/post_movement.sql). */
describe('post_movement()', () => {
  let db: SqlDatabase;
  let tenant: SqlTenant;
  let item: string;
  let here: string;
  let there: string;

  beforeAll(async () => {
    db = await openSqlDatabase();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.begin();
    tenant = await sqlFixtures.tenant(db);
    item = await sqlFixtures.item(db, tenant, { uoms: { box: '12', third: '0.333333' } });
    here = await sqlFixtures.location(db, tenant);
    there = await sqlFixtures.location(db, tenant);
  });
  afterEach(() => db.rollback());

  const line = (extra: object = {}) => ({ itemId: item, locationId: here, qty: '5', ...extra });

  describe('signs and balances', () => {
    it('a receipt adds, an issue takes away, in base units', async () => {
      await postMovement(db, tenant, { type: 'receipt', lines: [line({ qty: '2', uom: 'box' })] });
      const issued = await postMovement(db, tenant, { type: 'issue', lines: [line({ qty: '7' })] });
      expect(issued.body.lines.map((l) => l.qtyBase)).toEqual(['-7']);
      expect(await balance(db, item, here)).toBe('17');
    });

    it('an adjustment adds or removes by its sign', async () => {
      await postMovement(db, tenant, { type: 'adjustment', lines: [line({ qty: '10' })] });
      await postMovement(db, tenant, { type: 'adjustment', lines: [line({ qty: '-3.5' })] });
      expect(await balance(db, item, here)).toBe('6.5');
    });

    it('a transfer writes two ledger legs: minus at the source, plus at the destination', async () => {
      await postMovement(db, tenant, { type: 'receipt', lines: [line({ qty: '8' })] });
      const moved = await postMovement(db, tenant, {
        type: 'transfer',
        lines: [line({ qty: '3', toLocationId: there })],
      });
      expect(moved.body.lineCount).toBe(1);
      expect(moved.body.lines.map((l) => [l.locationId, l.qtyBase]).sort()).toEqual(
        [
          [here, '-3'],
          [there, '3'],
        ].sort(),
      );
      expect([await balance(db, item, here), await balance(db, item, there)]).toEqual(['5', '3']);
    });

    it('writes movement.posted and inventory.updated with the new balances', async () => {
      const posted = await postMovement(db, tenant, { type: 'receipt', lines: [line({ qty: '4' })] });
      const events = await db.query<{ type: string; payload: { balances?: { qty: string }[] } }>(
        `select type, payload from outbox_events order by type`,
      );
      expect(events.map((e) => e.type)).toEqual(['inventory.updated', 'movement.posted']);
      expect(events[0].payload).toEqual({
        movementId: posted.body.id,
        balances: [
          { itemId: item, locationId: here, lotCode: null, qty: '4', reserved: '0', available: '4' },
        ],
      });
    });
  });

  describe('validation: every problem of every line at once (IEV01)', () => {
    const problems = async (movement: object, as: SqlTenant = tenant) => {
      const error = await failedPosting(db, as, movement);
      expect(error.code).toBe('IEV01');
      return JSON.parse(error.detail!) as { field: string; message: string }[];
    };

    it.each([
      ['receipt', { itemId: randomUUID() }, 'lines[0].itemId', 'unknown or archived item'],
      ['receipt', { locationId: randomUUID() }, 'lines[0].locationId', 'unknown or archived location'],
      ['transfer', {}, 'lines[0].toLocationId', 'required for a transfer'],
      ['transfer', { toLocationId: randomUUID() }, 'lines[0].toLocationId', 'unknown or archived location'],
      ['receipt', { toLocationId: 'HERE' }, 'lines[0].toLocationId', 'only a transfer has a destination'],
      ['receipt', { lotCode: 'L1' }, 'lines[0].lotCode', 'not allowed: the item is not lot-tracked'],
      ['receipt', { uom: 'pallet' }, 'lines[0].uom', 'unknown unit for this item'],
      ['adjustment', { qty: '0' }, 'lines[0].qty', 'must not be zero'],
      ['issue', { qty: '-1' }, 'lines[0].qty', 'must be greater than zero'],
      [
        'receipt',
        { qty: '0.5', uom: 'third' },
        'lines[0].qty',
        'converts to more than 6 decimals in the base unit',
      ],
      ['receipt', { qty: '100000000000000' }, 'lines[0].qty', 'too large'],
    ])('%s with %j: %s %s', async (type, extra, field, message) => {
      const patched = Object.fromEntries(
        Object.entries(extra).map(([key, value]) => [key, value === 'HERE' ? there : value]),
      );
      expect(await problems({ type, lines: [line(patched)] })).toEqual([{ field, message }]);
    });

    it('a transfer to its own source', async () => {
      expect(await problems({ type: 'transfer', lines: [line({ toLocationId: here })] })).toEqual([
        { field: 'lines[0].toLocationId', message: 'must differ from locationId' },
      ]);
    });

    it('a lot-tracked item needs a lot code', async () => {
      const lotted = await sqlFixtures.item(db, tenant, { lotTracked: true });
      expect(await problems({ type: 'receipt', lines: [line({ itemId: lotted })] })).toEqual([
        { field: 'lines[0].lotCode', message: 'required: the item is lot-tracked' },
      ]);
    });

    it('archived items and locations are refused like unknown ones', async () => {
      const oldItem = await sqlFixtures.item(db, tenant, { archived: true });
      const oldBin = await sqlFixtures.location(db, tenant, { archived: true });
      expect(
        await problems({ type: 'receipt', lines: [line({ itemId: oldItem, locationId: oldBin })] }),
      ).toEqual([
        { field: 'lines[0].itemId', message: 'unknown or archived item' },
        { field: 'lines[0].locationId', message: 'unknown or archived location' },
      ]);
    });

    it("another tenant's item and location are unknown here (row-level security)", async () => {
      await db.query('commit');
      await db.begin();
      const other = await sqlFixtures.tenant(db);
      expect(await problems({ type: 'receipt', lines: [line()] }, other)).toEqual([
        { field: 'lines[0].itemId', message: 'unknown or archived item' },
        { field: 'lines[0].locationId', message: 'unknown or archived location' },
      ]);
    });

    it('enter_tenant refuses a second tenant in one transaction', async () => {
      const error = await db.fails(`select enter_tenant(gen_random_uuid(), null)`);
      expect(error.message).toBe('a transaction of another tenant is open');
    });

    it('a line repeating the same key, and several lines at once, in line order', async () => {
      expect(
        await problems({
          type: 'receipt',
          lines: [line(), line({ qty: '0', uom: 'pallet' }), line()],
        }),
      ).toEqual([
        { field: 'lines[1].qty', message: 'must be greater than zero' },
        { field: 'lines[1].uom', message: 'unknown unit for this item' },
        {
          field: 'lines[2]',
          message: 'a line for the same item, location and lot appears earlier in this movement',
        },
      ]);
    });

    it('writes nothing when it refuses', async () => {
      await failedPosting(db, tenant, { type: 'receipt', lines: [line(), line({ itemId: randomUUID() })] });
      const [counts] = await db.query<{ movements: number; ledger: number; outbox: number }>(
        `select (select count(*)::int from inventory_movements) as movements,
                (select count(*)::int from inventory_ledger) as ledger,
                (select count(*)::int from outbox_events) as outbox`,
      );
      expect(counts).toEqual({ movements: 0, ledger: 0, outbox: 0 });
    });
  });

  describe('negative stock', () => {
    it('deny (the default) refuses to go below zero, with what is available (IES01)', async () => {
      await postMovement(db, tenant, { type: 'receipt', lines: [line({ qty: '2' })] });
      const error = await failedPosting(db, tenant, { type: 'issue', lines: [line({ qty: '3' })] });
      expect(error.code).toBe('IES01');
      expect(JSON.parse(error.detail!)).toEqual({
        itemId: item,
        locationId: here,
        lotCode: null,
        available: '2',
        requested: '3',
      });
      expect(await balance(db, item, here)).toBe('2');
    });

    it("allow on the item lets the balance go negative; the item's deny beats the tenant's allow", async () => {
      const lenient = await sqlFixtures.item(db, tenant, { negativeStock: 'allow' });
      await postMovement(db, tenant, { type: 'issue', lines: [line({ itemId: lenient, qty: '4' })] });
      expect(await balance(db, lenient, here)).toBe('-4');

      await db.query(`update tenants set settings = '{"negativeStock": "allow"}' where id = $1`, [tenant.id]);
      await postMovement(db, tenant, { type: 'issue', lines: [line({ qty: '1' })] });
      expect(await balance(db, item, here)).toBe('-1');
      const strict = await sqlFixtures.item(db, tenant, { negativeStock: 'deny' });
      expect(
        (await failedPosting(db, tenant, { type: 'issue', lines: [line({ itemId: strict })] })).code,
      ).toBe('IES01');
    });

    it("a count's adjustment is exempt, and only that movement", async () => {
      await postMovement(
        db,
        tenant,
        { type: 'adjustment', lines: [line({ qty: '-2' })] },
        { countAdjustment: true },
      );
      expect(await balance(db, item, here)).toBe('-2');
      const [{ exempt }] = await db.query<{ exempt: string }>(
        `select coalesce(current_setting('app.negative_stock_exempt', true), '') as exempt`,
      );
      expect(exempt).toBe('');
      expect((await failedPosting(db, tenant, { type: 'issue', lines: [line({ qty: '1' })] })).code).toBe(
        'IES01',
      );
    });
  });

  describe('idempotency key', () => {
    const receipt = () => ({ type: 'receipt', lines: [line({ qty: '1' })] });

    it('a repeat replays the stored response and posts nothing', async () => {
      const first = await postMovement(db, tenant, receipt(), { idempotencyKey: 'k-1' });
      const again = await postMovement(db, tenant, receipt(), { idempotencyKey: 'k-1' });
      expect(again).toEqual({ ...first, replayed: true });
      expect(await balance(db, item, here)).toBe('1');
    });

    it('the same key with another request is IEI22', async () => {
      await postMovement(db, tenant, receipt(), { idempotencyKey: 'k-2', fingerprint: 'a' });
      const error = await failedPosting(db, tenant, receipt(), { idempotencyKey: 'k-2', fingerprint: 'b' });
      expect(error.code).toBe('IEI22');
    });

    it('an expired key posts afresh', async () => {
      await postMovement(db, tenant, receipt(), { idempotencyKey: 'k-3' });
      await db.query(
        `update idempotency_keys set expires_at = now() - interval '1 second' where key = 'k-3'`,
      );
      const again = await postMovement(db, tenant, receipt(), {
        idempotencyKey: 'k-3',
        fingerprint: 'other',
      });
      expect(again.replayed).toBe(false);
      expect(await balance(db, item, here)).toBe('2');
    });

    it('a key still held by a running transaction is IEI09 after 100 ms, not a wait', async () => {
      // The other connection must see this tenant's rows: commit the fixtures first.
      await db.query('commit');
      await db.begin();
      await db.query(`select enter_tenant($1, null)`, [tenant.id]);
      await postMovement(db, tenant, receipt(), { idempotencyKey: 'k-4' });
      const url = new URL(db.database.url);
      url.username = db.client.user!;
      url.password = String(db.client.password);
      const second = new pg.Client({ connectionString: url.toString() });
      await second.connect();
      try {
        const started = Date.now();
        const error = await second
          .query(`select post_movement($1, null, 'system', 'k-4', 'fingerprint-1', $2, null, false)`, [
            tenant.id,
            receipt(),
          ])
          .then(
            () => undefined,
            (e: pg.DatabaseError) => e,
          );
        expect(error?.code).toBe('IEI09');
        expect(Date.now() - started).toBeLessThan(5000);
      } finally {
        await second.end();
      }
    });
  });
});
