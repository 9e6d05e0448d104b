import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  failedPosting,
  openSqlDatabase,
  postMovement,
  sqlFixtures,
  type SqlDatabase,
  type SqlError,
  type SqlTenant,
} from '../support/sql-database.js';

interface ReservationLine {
  itemId: string;
  locationId: string;
  lotCode: string | null;
  qty: string;
  consumedQty: string;
  releasedQty: string;
  expiredQty: string;
  openQty: string;
}

interface Reservation {
  id: string;
  reference: string;
  status: string;
  expiresAt: string | null;
  lines: ReservationLine[];
}

interface Availability {
  onHand: string;
  reserved: string;
  available: string;
}

const AUDIT = { actorId: null, actorKind: 'system', actorName: 'test' };
const RESERVE = `select reserve_stock($1, null, 'system', $2, $3, $4, $5) as result`;

/**
 * Availability in the database (db/functions/change_stock.sql and the reservation functions), called as the
 * service calls them, as the app role, each case in a transaction that is rolled back.
 */
describe('availability: reservations, the deny policy on available, reorder points', () => {
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
    item = await sqlFixtures.item(db, tenant, { uoms: { box: '12' } });
    here = await sqlFixtures.location(db, tenant);
    there = await sqlFixtures.location(db, tenant);
  });
  afterEach(() => db.rollback());

  const reserve = async (lines: object[], extra: object = {}, key?: string): Promise<Reservation> => {
    const [{ result }] = await db.query<{ result: { body: Reservation } }>(RESERVE, [
      tenant.id,
      key ?? null,
      key ? 'fingerprint-1' : null,
      { reference: 'SO-1', lines, ...extra },
      AUDIT,
    ]);
    return result.body;
  };
  const failedReservation = (lines: object[], extra: object = {}): Promise<SqlError> =>
    db.fails(RESERVE, [tenant.id, null, null, { reference: 'SO-1', lines, ...extra }, AUDIT]);
  const release = async (id: string, lines: object[] | null = null): Promise<Reservation> => {
    const [{ result }] = await db.query<{ result: Reservation }>(
      `select release_reservation($1, $2, $3) as result`,
      [tenant.id, id, lines === null ? null : JSON.stringify(lines)],
    );
    return result;
  };
  const availability = async (itemId = item, locationId = here): Promise<Availability> => {
    const [row] = await db.query<Availability>(
      `select trim_scale(on_hand)::text as "onHand", trim_scale(reserved)::text as reserved,
              trim_scale(available)::text as available
         from stock_availability($1) where item_id = $2 and location_id = $3`,
      [tenant.id, itemId, locationId],
    );
    return row;
  };
  const receive = (qty: string, extra: object = {}) =>
    postMovement(db, tenant, { type: 'receipt', lines: [{ itemId: item, locationId: here, qty, ...extra }] });
  const issue = (qty: string, extra: object = {}, lineExtra: object = {}) =>
    postMovement(db, tenant, {
      type: 'issue',
      ...extra,
      lines: [{ itemId: item, locationId: here, qty, ...lineExtra }],
    });
  const shortage = (error: SqlError): Record<string, unknown> => ({
    code: error.code,
    ...(JSON.parse(error.detail!) as Record<string, unknown>),
  });
  /** The types of the events written so far (one transaction: sorted by name, its events share created_at). */
  const eventTypes = async (prefix: string) =>
    (
      await db.query<{ type: string }>(
        `select type from outbox_events where type like $1 || '%' order by type`,
        [prefix],
      )
    ).map((row) => row.type);

  describe('reserving under deny', () => {
    it('reserves what is available, in base units, and counts it against available', async () => {
      await receive('30');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '2', uom: 'box' }]);
      expect(reservation).toMatchObject({ reference: 'SO-1', status: 'active', expiresAt: null });
      expect(reservation.lines).toEqual([
        {
          itemId: item,
          locationId: here,
          lotCode: null,
          qty: '24',
          consumedQty: '0',
          releasedQty: '0',
          expiredQty: '0',
          openQty: '24',
        },
      ]);
      expect(await availability()).toEqual({ onHand: '30', reserved: '24', available: '6' });
    });

    it('refuses more than available with IES02, naming the key, and reserves nothing', async () => {
      await receive('5');
      await reserve([{ itemId: item, locationId: here, qty: '3' }]);
      const error = await failedReservation([{ itemId: item, locationId: here, qty: '3' }]);
      expect(shortage(error)).toEqual({
        code: 'IES02',
        itemId: item,
        locationId: here,
        lotCode: null,
        available: '2',
        requested: '3',
      });
      expect(await availability()).toEqual({ onHand: '5', reserved: '3', available: '2' });
      expect(await db.query(`select 1 from reservations`)).toHaveLength(1);
    });

    it('sums two lines on one key: 3 + 3 against available 4 is refused whole', async () => {
      await receive('4');
      const error = await failedReservation([
        { itemId: item, locationId: here, qty: '3' },
        { itemId: item, locationId: here, qty: '3' },
      ]);
      expect(shortage(error)).toMatchObject({ code: 'IES02', available: '4', requested: '6' });
      expect(await availability()).toEqual({ onHand: '4', reserved: '0', available: '4' });
    });

    it('a key with no stock at all has nothing available', async () => {
      const error = await failedReservation([{ itemId: item, locationId: there, qty: '1' }]);
      expect(shortage(error)).toMatchObject({ code: 'IES02', locationId: there, available: '0' });
    });

    it('under allow, a reservation may exceed on hand (a backorder)', async () => {
      const backordered = await sqlFixtures.item(db, tenant, { negativeStock: 'allow' });
      await reserve([{ itemId: backordered, locationId: here, qty: '7' }]);
      expect(await availability(backordered)).toEqual({ onHand: '0', reserved: '7', available: '-7' });
    });

    it('writes reservation.created with the reservation', async () => {
      await receive('5');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '1' }]);
      const [event] = await db.query<{ payload: Reservation }>(
        `select payload from outbox_events where type = 'reservation.created'`,
      );
      expect(event.payload).toEqual(reservation);
    });

    it('an Idempotency-Key replays the first answer and reserves once', async () => {
      await receive('5');
      const first = await reserve([{ itemId: item, locationId: here, qty: '2' }], {}, 'key-1');
      const [{ result }] = await db.query<{ result: { replayed: boolean; body: Reservation } }>(RESERVE, [
        tenant.id,
        'key-1',
        'fingerprint-1',
        { reference: 'SO-1', lines: [{ itemId: item, locationId: here, qty: '2' }] },
        AUDIT,
      ]);
      expect(result).toMatchObject({ replayed: true, body: { id: first.id } });
      expect((await availability()).reserved).toBe('2');
    });
  });

  describe('validation (IEV01, every problem at once)', () => {
    it.each([
      [{ itemId: 'UNKNOWN' }, {}, 'lines[0].itemId', 'unknown or archived item'],
      [{ locationId: 'UNKNOWN' }, {}, 'lines[0].locationId', 'unknown or archived location'],
      [{ qty: '0' }, {}, 'lines[0].qty', 'must be greater than zero'],
      [{ uom: 'pallet' }, {}, 'lines[0].uom', 'unknown unit for this item'],
      [{ qty: '0.0000001' }, {}, 'lines[0].qty', 'converts to more than 6 decimals in the base unit'],
      [{ lotCode: 'L1' }, {}, 'lines[0].lotCode', 'not allowed: the item is not lot-tracked'],
      [{}, { reference: '' }, 'reference', 'must be 1-200 characters'],
      [{}, { expiresAt: '2000-01-01T00:00:00Z' }, 'expiresAt', 'must be in the future'],
      [{}, { expiresAt: '2999-01-01T00:00:00Z' }, 'expiresAt', 'must be at most 365 days ahead'],
    ])('line %j, reservation %j: %s %s', async (lineExtra, extra, field, message) => {
      const patched = Object.fromEntries(
        Object.entries(lineExtra).map(([key, value]) => [key, value === 'UNKNOWN' ? randomUUID() : value]),
      );
      const error = await failedReservation(
        [{ itemId: item, locationId: here, qty: '1', ...patched }],
        extra,
      );
      expect(error.code).toBe('IEV01');
      expect(JSON.parse(error.detail!)).toEqual([{ field, message }]);
    });

    it('a reservation needs lines', async () => {
      const error = await failedReservation([]);
      expect(JSON.parse(error.detail!)).toEqual([{ field: 'lines', message: 'must have 1-500 lines' }]);
    });
  });

  describe('movements against available', () => {
    it('an issue without a reservation uses only available stock (IES02)', async () => {
      await receive('10');
      await reserve([{ itemId: item, locationId: here, qty: '8' }]);
      expect(shortage(await failedPosting(db, tenant, issueOf('3')))).toEqual({
        code: 'IES02',
        itemId: item,
        locationId: here,
        lotCode: null,
        available: '2',
        requested: '3',
      });
      await issue('2');
      expect(await availability()).toEqual({ onHand: '8', reserved: '8', available: '0' });
    });

    it('more than on hand is insufficient stock (IES01), as before', async () => {
      await receive('10');
      await reserve([{ itemId: item, locationId: here, qty: '8' }]);
      expect(shortage(await failedPosting(db, tenant, issueOf('11')))).toMatchObject({
        code: 'IES01',
        available: '10',
        requested: '11',
      });
    });

    it('a transfer and a negative adjustment are held to available too', async () => {
      await receive('10');
      await reserve([{ itemId: item, locationId: here, qty: '8' }]);
      const transfer = {
        type: 'transfer',
        lines: [{ itemId: item, locationId: here, toLocationId: there, qty: '3' }],
      };
      const adjustment = { type: 'adjustment', lines: [{ itemId: item, locationId: here, qty: '-3' }] };
      expect((await failedPosting(db, tenant, transfer)).code).toBe('IES02');
      expect((await failedPosting(db, tenant, adjustment)).code).toBe('IES02');
    });

    it("a count's adjustment is exempt and may leave available below zero", async () => {
      await receive('10');
      await reserve([{ itemId: item, locationId: here, qty: '8' }]);
      await postMovement(
        db,
        tenant,
        { type: 'adjustment', lines: [{ itemId: item, locationId: here, qty: '-4' }] },
        { countAdjustment: true },
      );
      expect(await availability()).toEqual({ onHand: '6', reserved: '8', available: '-2' });
    });
  });

  const issueOf = (qty: string, extra: object = {}) => ({
    type: 'issue',
    ...extra,
    lines: [{ itemId: item, locationId: here, qty }],
  });

  describe('consumption: a movement naming its reservation', () => {
    it('consumes the open quantity first; a fully consumed reservation is consumed', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '6' }]);
      const movement = await issue('4', { reservationId: reservation.id });
      expect(movement.body).toMatchObject({ reservationId: reservation.id });
      expect(await availability()).toEqual({ onHand: '6', reserved: '2', available: '4' });
      await issue('2', { reservationId: reservation.id });
      const [{ document }] = await db.query<{ document: Reservation }>(
        `select reservation_document($1, $2) as document`,
        [tenant.id, reservation.id],
      );
      expect(document.status).toBe('consumed');
      expect(document.lines[0]).toMatchObject({ consumedQty: '6', openQty: '0' });
      expect(await availability()).toEqual({ onHand: '4', reserved: '0', available: '4' });
      expect(await eventTypes('reservation.')).toEqual([
        'reservation.consumed',
        'reservation.consumed',
        'reservation.created',
      ]);
    });

    it('the excess over the open quantity must fit available', async () => {
      await receive('10');
      const mine = await reserve([{ itemId: item, locationId: here, qty: '4' }]);
      await reserve([{ itemId: item, locationId: here, qty: '5' }], { reference: 'SO-2' });
      // open 4 + available 1 = 5 can go out against this reservation, 6 cannot
      expect(
        shortage(await failedPosting(db, tenant, issueOf('6', { reservationId: mine.id }))),
      ).toMatchObject({ code: 'IES02', available: '1', requested: '2' });
      await issue('5', { reservationId: mine.id });
      expect(await availability()).toEqual({ onHand: '5', reserved: '5', available: '0' });
    });

    it('consuming needs no available stock: after a count left available negative, reserved stock still ships', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '10' }]);
      await postMovement(
        db,
        tenant,
        { type: 'adjustment', lines: [{ itemId: item, locationId: here, qty: '-2' }] },
        { countAdjustment: true },
      );
      await issue('8', { reservationId: reservation.id });
      expect(await availability()).toEqual({ onHand: '0', reserved: '2', available: '-2' });
    });

    it('a reservation that is not active cannot be consumed (IER01)', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '3' }]);
      await release(reservation.id);
      const error = await failedPosting(db, tenant, issueOf('1', { reservationId: reservation.id }));
      expect({ code: error.code, ...JSON.parse(error.detail!) }).toEqual({
        code: 'IER01',
        reservationId: reservation.id,
        status: 'released',
      });
    });

    it('only an issue or a transfer names a reservation, and it must be one of the tenant', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '3' }]);
      const receipt = await failedPosting(db, tenant, {
        type: 'receipt',
        reservationId: reservation.id,
        lines: [{ itemId: item, locationId: here, qty: '1' }],
      });
      expect(JSON.parse(receipt.detail!)).toEqual([
        { field: 'reservationId', message: 'only an issue or a transfer consumes a reservation' },
      ]);
      const unknown = await failedPosting(db, tenant, issueOf('1', { reservationId: randomUUID() }));
      expect(JSON.parse(unknown.detail!)).toEqual([
        { field: 'reservationId', message: 'unknown reservation' },
      ]);
    });

    it('a transfer consumes at its source', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '10' }]);
      await postMovement(db, tenant, {
        type: 'transfer',
        reservationId: reservation.id,
        lines: [{ itemId: item, locationId: here, toLocationId: there, qty: '10' }],
      });
      expect(await availability()).toEqual({ onHand: '0', reserved: '0', available: '0' });
      expect(await availability(item, there)).toEqual({ onHand: '10', reserved: '0', available: '10' });
    });
  });

  describe('lot-tracked items: per lot and per (item, location)', () => {
    let lotted: string;
    beforeEach(async () => {
      lotted = await sqlFixtures.item(db, tenant, { lotTracked: true });
      await postMovement(db, tenant, {
        type: 'receipt',
        lines: [
          { itemId: lotted, locationId: here, lotCode: 'A', qty: '5' },
          { itemId: lotted, locationId: here, lotCode: 'B', qty: '5' },
        ],
      });
    });
    const lotLine = (qty: string, lotCode?: string) => ({
      itemId: lotted,
      locationId: here,
      qty,
      ...(lotCode && { lotCode }),
    });

    it('a lot-level reservation fits its lot; one without a lot fits the sum of the lots', async () => {
      expect(shortage(await failedReservation([lotLine('6', 'A')]))).toMatchObject({
        code: 'IES02',
        lotCode: 'A',
        available: '5',
        requested: '6',
      });
      await reserve([lotLine('8')]);
      expect(await availability(lotted)).toEqual({ onHand: '10', reserved: '8', available: '2' });
      // lot A alone has 5, but the position has only 2 left
      expect(shortage(await failedReservation([lotLine('3', 'A')]))).toMatchObject({
        code: 'IES02',
        lotCode: null,
        available: '2',
        requested: '3',
      });
    });

    it('issuing a lot is held to both: its own reservations and the position', async () => {
      await reserve([lotLine('4', 'A')]);
      await reserve([lotLine('5')], { reference: 'SO-2' });
      const issueLot = (lotCode: string, qty: string) => ({
        type: 'issue',
        lines: [{ ...lotLine(qty), lotCode }],
      });
      // lot A: 5 on hand, 4 reserved by name
      expect(shortage(await failedPosting(db, tenant, issueLot('A', '2')))).toMatchObject({
        code: 'IES02',
        lotCode: 'A',
        available: '1',
      });
      // lot B has 5 and none reserved by name, but the position: 10 - 9 = 1
      expect(shortage(await failedPosting(db, tenant, issueLot('B', '2')))).toMatchObject({
        code: 'IES02',
        lotCode: null,
        available: '1',
      });
      await postMovement(db, tenant, issueLot('B', '1'));
      expect(await availability(lotted)).toEqual({ onHand: '9', reserved: '9', available: '0' });
    });

    it('consumption takes the line naming the lot first, then the line without a lot', async () => {
      const reservation = await reserve([lotLine('3'), lotLine('2', 'A')]);
      await postMovement(db, tenant, {
        type: 'issue',
        reservationId: reservation.id,
        lines: [{ ...lotLine('4'), lotCode: 'A' }],
      });
      const [{ document }] = await db.query<{ document: Reservation }>(
        `select reservation_document($1, $2) as document`,
        [tenant.id, reservation.id],
      );
      expect(document.lines.map((l) => [l.lotCode, l.consumedQty, l.openQty])).toEqual([
        [null, '2', '1'],
        ['A', '2', '0'],
      ]);
      expect(await availability(lotted)).toEqual({ onHand: '6', reserved: '1', available: '5' });
    });
  });

  describe('release', () => {
    it('releases part, then the rest; released when nothing is left and nothing was consumed', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '6' }]);
      const part = await release(reservation.id, [{ itemId: item, locationId: here, qty: '2' }]);
      expect(part).toMatchObject({ status: 'active', lines: [{ releasedQty: '2', openQty: '4' }] });
      expect(await availability()).toEqual({ onHand: '10', reserved: '4', available: '6' });
      const rest = await release(reservation.id);
      expect(rest).toMatchObject({ status: 'released', lines: [{ releasedQty: '6', openQty: '0' }] });
      expect(await availability()).toEqual({ onHand: '10', reserved: '0', available: '10' });
      expect(await eventTypes('reservation.')).toEqual([
        'reservation.created',
        'reservation.released',
        'reservation.released',
      ]);
    });

    it('consumed when what was left open was partly consumed, then released', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '6' }]);
      await issue('4', { reservationId: reservation.id });
      expect((await release(reservation.id)).status).toBe('consumed');
    });

    it('refuses more than is open (IER02), a key it does not hold and a non-positive quantity (IEV01)', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '6' }]);
      const tooMuch = await db.fails(`select release_reservation($1, $2, $3)`, [
        tenant.id,
        reservation.id,
        JSON.stringify([{ itemId: item, locationId: here, qty: '7' }]),
      ]);
      expect(shortage(tooMuch)).toEqual({
        code: 'IER02',
        itemId: item,
        locationId: here,
        lotCode: null,
        open: '6',
        requested: '7',
      });
      const wrong = await db.fails(`select release_reservation($1, $2, $3)`, [
        tenant.id,
        reservation.id,
        JSON.stringify([
          { itemId: item, locationId: there, qty: '1' },
          { itemId: item, locationId: here, qty: '0' },
        ]),
      ]);
      expect(wrong.code).toBe('IEV01');
      expect(JSON.parse(wrong.detail!)).toEqual([
        { field: 'lines[0]', message: 'the reservation has no line for this item, location and lot' },
        { field: 'lines[1].qty', message: 'must be greater than zero' },
      ]);
    });

    it("an unknown id, or another tenant's, is not found (NULL)", async () => {
      const [{ result }] = await db.query<{ result: unknown }>(
        `select release_reservation($1, $2, null) as result`,
        [tenant.id, randomUUID()],
      );
      expect(result).toBeNull();
    });
  });

  describe('expiry changes', () => {
    it('moves expiresAt of an active reservation, within a year, and the lines follow', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '1' }]);
      const later = new Date(Date.now() + 3600_000).toISOString();
      const [{ result }] = await db.query<{ result: Reservation }>(
        `select change_reservation_expiry($1, $2, $3) as result`,
        [tenant.id, reservation.id, later],
      );
      expect(result.expiresAt).toBe(later);
      const [line] = await db.query<{ same: boolean }>(
        `select expires_at = $1::timestamptz as same from reservation_lines`,
        [later],
      );
      expect(line.same).toBe(true);
      const past = await db.fails(`select change_reservation_expiry($1, $2, now() - interval '1 minute')`, [
        tenant.id,
        reservation.id,
      ]);
      expect(JSON.parse(past.detail!)).toEqual([{ field: 'expiresAt', message: 'must be in the future' }]);
    });
  });

  describe('reorder points: one event per crossing, in the transaction that crossed', () => {
    const setPoint = (point: string | null, qty: string | null = '20') =>
      db.query(`select set_reorder_point($1, $2, $3, $4, $5)`, [tenant.id, item, here, point, qty]);

    it('down, staying below, up, down again: two low_stock and one restocked', async () => {
      await receive('10');
      await setPoint('5');
      await issue('5'); // 5: at the point, low
      await issue('1'); // 4: still low
      await receive('3'); // 7: above, restocked
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '3' }]); // available 4: low
      await issue('1', { reservationId: reservation.id }); // still low
      expect(await eventTypes('inventory.low_stock')).toHaveLength(2);
      expect(await eventTypes('inventory.restocked')).toHaveLength(1);
      const [low] = await db.query<{ payload: object }>(
        `select payload from outbox_events where type = 'inventory.low_stock' order by created_at limit 1`,
      );
      expect(low.payload).toEqual({
        itemId: item,
        locationId: here,
        onHand: '5',
        reserved: '0',
        available: '5',
        reorderPoint: '5',
        reorderQty: '20',
      });
    });

    it('releasing a reservation can restock; setting a point above available reports low at once', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '8' }]);
      await setPoint('3');
      expect(await eventTypes('inventory.')).toEqual(['inventory.low_stock', 'inventory.updated']);
      await release(reservation.id);
      expect(await eventTypes('inventory.restocked')).toHaveLength(1);
      await setPoint(null);
      await issue('10');
      expect(await eventTypes('inventory.low_stock')).toHaveLength(1);
    });

    it("an unknown item or location is not the tenant's (NULL)", async () => {
      const [{ result }] = await db.query<{ result: unknown }>(
        `select set_reorder_point($1, $2, $3, 1, 1) as result`,
        [tenant.id, randomUUID(), here],
      );
      expect(result).toBeNull();
    });
  });

  describe('inventory.updated carries reserved and available', () => {
    it('per key of the movement', async () => {
      await receive('10');
      await reserve([{ itemId: item, locationId: here, qty: '4' }]);
      const moved = await issue('1');
      const [event] = await db.query<{ payload: object }>(
        `select payload from outbox_events where type = 'inventory.updated' and payload ->> 'movementId' = $1`,
        [moved.body.id],
      );
      expect(event.payload).toEqual({
        movementId: moved.body.id,
        balances: [
          { itemId: item, locationId: here, lotCode: null, qty: '9', reserved: '4', available: '5' },
        ],
      });
    });
  });

  describe("a position's on hand", () => {
    it('is the sum of its balances after receipts, lots, transfers, issues and reservations', async () => {
      const lotted = await sqlFixtures.item(db, tenant, { lotTracked: true });
      await postMovement(db, tenant, {
        type: 'receipt',
        lines: [
          { itemId: item, locationId: here, qty: '10' },
          { itemId: lotted, locationId: here, qty: '4', lotCode: 'A' },
          { itemId: lotted, locationId: here, qty: '6', lotCode: 'B' },
        ],
      });
      await reserve([{ itemId: lotted, locationId: here, qty: '2', lotCode: 'A' }]);
      await postMovement(db, tenant, {
        type: 'transfer',
        lines: [{ itemId: lotted, locationId: here, toLocationId: there, qty: '5', lotCode: 'B' }],
      });
      await issue('3');
      const positions = await db.query<{ item: string; location: string; onHand: string; balances: string }>(
        `select p.item_id as item, p.location_id as location, trim_scale(p.on_hand)::text as "onHand",
                (select trim_scale(coalesce(sum(b.qty), 0))::text from inventory_balances b
                  where b.item_id = p.item_id and b.location_id = p.location_id) as balances
           from inventory_positions p order by p.item_id, p.location_id`,
      );
      expect(positions).toHaveLength(3);
      for (const position of positions) expect(position.onHand).toBe(position.balances);
      expect(positions.find((p) => p.item === lotted && p.location === here)?.onHand).toBe('5');
    });
  });

  describe('lookup_availability: the checkout call', () => {
    const lookup = (tenantId: string, items: string[], locations: string[] | null) =>
      db.query<Availability & { itemId: string; locationId: string }>(
        `select item_id as "itemId", location_id as "locationId", trim_scale(on_hand)::text as "onHand",
                trim_scale(reserved)::text as reserved, trim_scale(available)::text as available
           from lookup_availability($1, $2, $3) order by item_id, location_id`,
        [tenantId, items, locations],
      );

    it('answers what stock_availability() says, at the given locations or at all of them', async () => {
      const other = await sqlFixtures.item(db, tenant);
      await postMovement(db, tenant, {
        type: 'receipt',
        lines: [
          { itemId: item, locationId: here, qty: '10' },
          { itemId: item, locationId: there, qty: '3' },
          { itemId: other, locationId: there, qty: '7' },
        ],
      });
      await reserve([{ itemId: item, locationId: here, qty: '4' }]);
      const position = async (itemId: string, locationId: string) => ({
        itemId,
        locationId,
        ...(await availability(itemId, locationId)),
      });
      const byKey = (a: { itemId: string; locationId: string }, b: { itemId: string; locationId: string }) =>
        a.itemId === b.itemId ? a.locationId.localeCompare(b.locationId) : a.itemId.localeCompare(b.itemId);
      const everywhere = [
        await position(item, here),
        await position(item, there),
        await position(other, there),
      ].sort(byKey);
      expect(everywhere.find((row) => row.locationId === here)).toMatchObject({
        reserved: '4',
        available: '6',
      });

      expect(await lookup(tenant.id, [item, other], null)).toEqual(everywhere);
      expect(await lookup(tenant.id, [item, other], [there])).toEqual(
        everywhere.filter((row) => row.locationId === there),
      );
      // Planned once per connection: the same call again, with other arguments, answers for them.
      expect(await lookup(tenant.id, [other], [here, there])).toEqual(
        everywhere.filter((row) => row.itemId === other),
      );
    });

    it("answers nothing for another tenant's id (row-level security, as the app role)", async () => {
      await receive('5');
      expect(await lookup(tenant.id, [item], null)).toHaveLength(1);
      expect(await lookup(randomUUID(), [item], null)).toEqual([]);
    });
  });

  describe('only the functions write reservations and positions', () => {
    it('the app role cannot write them or call change_stock', async () => {
      await receive('10');
      const reservation = await reserve([{ itemId: item, locationId: here, qty: '4' }]);
      for (const sql of [
        `update reservation_lines set consumed_qty = 4`,
        `update reservations set status = 'released'`,
        `update inventory_positions set reserved = 0`,
        `insert into reservations (tenant_id, reference, status, created_by_kind) values ('${tenant.id}', 'x', 'active', 'system')`,
        `select change_stock('${tenant.id}', array[row('${item}', '${here}', null, 0, -4, null)::stock_change], false)`,
      ]) {
        expect((await db.fails(sql)).code).toBe('42501');
      }
      expect((await release(reservation.id)).status).toBe('released');
    });
  });
});
