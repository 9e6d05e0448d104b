import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { AvailabilityStatistics } from '../../src/modules/availability/availability-statistics.service.js';
import { AvailabilityService } from '../../src/modules/availability/availability.service.js';
import { SetReorderPointDto } from '../../src/modules/availability/dto/availability.dto.js';
import {
  CreateReservationDto,
  ReleaseReservationDto,
  ReservationQueryDto,
  type ReservationView,
} from '../../src/modules/reservations/dto/reservation.dto.js';
import { ReservationExpiry } from '../../src/modules/reservations/reservation-expiry.service.js';
import { ReservationsService } from '../../src/modules/reservations/reservations.service.js';
import { PageQueryDto } from '../../src/platform/http/pagination/pagination.js';
import {
  createItem,
  createLocation,
  createTenantWithAdmin,
  postMovement,
  receiveStock,
} from './support/factories.js';
import {
  type Actor,
  type ServiceHarness,
  rejection,
  startServiceHarness,
} from './support/service-harness.js';

const RESERVATION_REQUEST = { method: 'POST', route: '/api/inventory/reservations' };

describe('ReservationsService, ReservationExpiry and AvailabilityService on a cloned database', () => {
  let h: ServiceHarness;
  let reservations: ReservationsService;
  let availability: AvailabilityService;

  beforeAll(async () => {
    h = await startServiceHarness();
    reservations = h.get(ReservationsService);
    availability = h.get(AvailabilityService);
  });
  afterAll(() => h.close());

  async function stockedKey(qty: string) {
    const tenant = await createTenantWithAdmin(h, 'reserve');
    const item = await createItem(h, tenant.admin, { uoms: [{ code: 'case', factor: '12' }] });
    const location = await createLocation(h, tenant.admin, { name: 'A' });
    await receiveStock(h, tenant.admin, { itemId: item.id, locationId: location.id, qty });
    return {
      admin: tenant.admin,
      tenantId: tenant.admin.tenantId,
      key: { itemId: item.id, locationId: location.id },
    };
  }

  const reserve = async (actor: Actor, body: object, key?: string): Promise<ReservationView> => {
    const input = await h.input(CreateReservationDto, { reference: 'SO-1', ...body });
    const created = await h.asSingleStatement(actor, () =>
      reservations.create(input, key, RESERVATION_REQUEST),
    );
    return created.body;
  };
  const lookup = (actor: Actor, key: { itemId: string; locationId: string }) =>
    h.as(actor, () => availability.lookup([key.itemId], [key.locationId])).then((page) => page.data[0]);

  /** Polls the database's clock (never a fixed sleep) until it is past `moment`. */
  async function untilDatabaseTimePasses(moment: string): Promise<void> {
    for (;;) {
      const [{ passed }] = await h.database.query<{ passed: boolean }>(
        `select now() > $1::timestamptz as passed`,
        [moment],
      );
      if (passed) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  it('reserves in a unit of the item, lists by status and reference, releases, and counts it all', async () => {
    const { admin, key } = await stockedKey('30');
    const reservation = await reserve(admin, { lines: [{ ...key, qty: '2', uom: 'case' }] });
    expect(reservation.lines[0]).toMatchObject({ qty: '24', openQty: '24' });
    expect(await lookup(admin, key)).toEqual({ ...key, onHand: '30', reserved: '24', available: '6' });

    const listInput = await h.input(ReservationQueryDto, { status: 'active', reference: 'SO-1' }, 'query');
    const listed = await h.as(admin, () => reservations.list(listInput));
    expect(listed.data.map((row) => row.id)).toEqual([reservation.id]);

    const part = await h.input(ReleaseReservationDto, { lines: [{ ...key, qty: '4' }] });
    expect((await h.as(admin, () => reservations.release(reservation.id, part))).lines[0]).toMatchObject({
      releasedQty: '4',
      openQty: '20',
    });
    const rest = await h.as(admin, () => reservations.release(reservation.id, new ReleaseReservationDto()));
    expect(rest.status).toBe('released');
    expect(await lookup(admin, key)).toEqual({ ...key, onHand: '30', reserved: '0', available: '30' });
    expect(
      await rejection(h.as(admin, () => reservations.release(reservation.id, new ReleaseReservationDto()))),
    ).toMatchObject({
      status: 409,
      type: 'reservation-not-active',
    });
  });

  it('an Idempotency-Key replays the reservation instead of reserving twice', async () => {
    const { admin, key } = await stockedKey('5');
    const first = await reserve(admin, { lines: [{ ...key, qty: '3' }] }, 'order-7');
    const again = await reserve(admin, { lines: [{ ...key, qty: '3' }] }, 'order-7');
    expect(again.id).toBe(first.id);
    expect((await lookup(admin, key)).reserved).toBe('3');
  });

  it('the job marks lapsed reservations once; the gauges count open reservations, lag and low keys', async () => {
    const { admin, tenantId, key } = await stockedKey('10');
    const point = await h.input(SetReorderPointDto, { reorderPoint: '8', reorderQty: '20' });
    await h.as(admin, () => availability.setReorderPoint(key.itemId, key.locationId, point));
    const [{ soon }] = await h.database.query<{ soon: string }>(
      `select to_char((now() + interval '1 second') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as soon`,
    );
    const lapsing = await reserve(admin, { expiresAt: soon, lines: [{ ...key, qty: '3' }] });
    const page = await h.input(PageQueryDto, {}, 'query');
    expect((await h.as(admin, () => availability.replenishment(page))).data).toEqual([
      expect.objectContaining({ ...key, available: '7', reorderPoint: '8', suggestedQty: '20' }),
    ]);

    await untilDatabaseTimePasses(lapsing.expiresAt!);
    const statistics = h.get(AvailabilityStatistics);
    const before = await statistics.refresh();
    expect(before?.expiryLagSeconds).toBeGreaterThan(0);

    const lines: string[] = [];
    const outcome = await h.get(ReservationExpiry).expire(tenantId, (line) => lines.push(line));
    expect(outcome).toEqual({ ran: true, result: { tenants: 1, expired: 1 } });
    expect(lines).toEqual([expect.stringMatching(/: 1 reservation\(s\) expired$/)]);
    expect(await h.get(ReservationExpiry).expire(tenantId)).toEqual({
      ran: true,
      result: { tenants: 1, expired: 0 },
    });
    const events = await h.database.query<{ type: string }>(
      `select type from outbox_events where tenant_id = $1 and type in ('reservation.expired', 'inventory.restocked',
              'inventory.low_stock') order by type`,
      [tenantId],
    );
    expect(events.map((event) => event.type)).toEqual([
      'inventory.low_stock',
      'inventory.restocked',
      'reservation.expired',
    ]);
    const after = await statistics.refresh();
    expect(after?.expiryLagSeconds).toBe(0);
    expect((await h.as(admin, () => reservations.get(lapsing.id))).status).toBe('expired');
  });

  it("movements that name another tenant's reservation find none", async () => {
    const mine = await stockedKey('5');
    const theirs = await stockedKey('5');
    const reservation = await reserve(theirs.admin, { lines: [{ ...theirs.key, qty: '1' }] });
    const refused = await rejection(
      postMovement(h, mine.admin, {
        type: 'issue',
        reservationId: reservation.id,
        lines: [{ ...mine.key, qty: '1' }],
      }),
    );
    expect(refused).toMatchObject({
      status: 400,
      errors: [{ field: 'reservationId', message: 'unknown reservation' }],
    });
  });
});
