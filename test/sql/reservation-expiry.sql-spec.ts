import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type pg from 'pg';
import {
  openSqlDatabase,
  postMovement,
  sqlFixtures,
  type SqlDatabase,
  type SqlTenant,
} from '../support/sql-database.js';

/**
 * Expiry needs time to pass, which one transaction cannot see (now() is its start): these cases commit, and
 * wait for the database's clock to pass expiresAt (a condition, polled; never a fixed sleep).
 */
describe('reservation expiry: exact at expiresAt, marked once by the job', () => {
  let db: SqlDatabase;
  let tenant: SqlTenant;
  let item: string;
  let here: string;

  beforeAll(async () => {
    db = await openSqlDatabase();
    await db.begin();
    tenant = await sqlFixtures.tenant(db);
    item = await sqlFixtures.item(db, tenant);
    here = await sqlFixtures.location(db, tenant);
    await db.query('commit');
    await postMovement(db, tenant, {
      type: 'receipt',
      lines: [{ itemId: item, locationId: here, qty: '5' }],
    });
  });
  afterAll(() => db.close());

  /** A read in the tenant, in a transaction of its own (so its now() is the current time). */
  const inTenant = async <Row extends object>(sql: string, params: unknown[] = []): Promise<Row[]> => {
    await db.begin();
    try {
      await db.query(`select enter_tenant($1, null)`, [tenant.id]);
      return await db.query<Row>(sql, params);
    } finally {
      await db.query('commit');
    }
  };
  const availability = async () =>
    (
      await inTenant<{ reserved: string; available: string }>(
        `select trim_scale(reserved)::text as reserved, trim_scale(available)::text as available
           from stock_availability($1) where item_id = $2 and location_id = $3`,
        [tenant.id, item, here],
      )
    )[0];
  const reserve = async (qty: string, expiresAt: string | null) => {
    const [{ result }] = await db.query<{ result: { body: { id: string; expiresAt: string } } }>(
      `select reserve_stock($1, null, 'system', null, null, $2, null) as result`,
      [tenant.id, { reference: 'SO-1', expiresAt, lines: [{ itemId: item, locationId: here, qty }] }],
    );
    return result.body;
  };
  const untilDatabaseTimePasses = async (moment: string) => {
    for (;;) {
      const [{ passed }] = await db.query<{ passed: boolean }>(`select now() > $1::timestamptz as passed`, [
        moment,
      ]);
      if (passed) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  it('stops counting at expiresAt without the job; the job then marks it once, from two replicas', async () => {
    const [{ soon }] = await db.query<{ soon: string }>(
      `select to_char((now() + interval '1 second') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as soon`,
    );
    const reservation = await reserve('3', soon);
    expect(await availability()).toEqual({ reserved: '3', available: '2' });

    await untilDatabaseTimePasses(reservation.expiresAt);
    // Not marked yet, and already not counted: the check lets all 5 be reserved again.
    expect(await availability()).toEqual({ reserved: '0', available: '5' });
    const [{ document }] = await inTenant<{ document: object }>(
      `select reservation_document($1, $2) as document`,
      [tenant.id, reservation.id],
    );
    expect(document).toMatchObject({ status: 'expired', lines: [{ expiredQty: '3', openQty: '0' }] });
    await db.begin();
    const consumed = await db.fails(`select post_movement($1, null, 'system', null, null, $2, null, false)`, [
      tenant.id,
      { type: 'issue', reservationId: reservation.id, lines: [{ itemId: item, locationId: here, qty: '1' }] },
    ]);
    await db.rollback();
    expect(consumed.code).toBe('IER01');

    // Two replicas run the job at once: one marks it, one event.
    const replicas: pg.Client[] = [await db.connectApp(), await db.connectApp()];
    try {
      const counts = await Promise.all(
        replicas.map(async (replica) => {
          const { rows } = await replica.query<{ expired: number }>(
            `select expire_reservations($1, 100) as expired`,
            [tenant.id],
          );
          return rows[0].expired;
        }),
      );
      expect(counts.reduce((sum, count) => sum + count, 0)).toBe(1);
    } finally {
      await Promise.all(replicas.map((replica) => replica.end()));
    }
    const events = await inTenant<{ type: string }>(
      `select type from outbox_events where type = 'reservation.expired' and payload ->> 'reservationId' = $1`,
      [reservation.id],
    );
    expect(events).toHaveLength(1);
    const [stored] = await inTenant<{ reserved: string; status: string }>(
      `select trim_scale(p.reserved)::text as reserved, r.status
         from inventory_positions p, reservations r where p.item_id = $1 and p.location_id = $2 and r.id = $3`,
      [item, here, reservation.id],
    );
    expect(stored).toEqual({ reserved: '0', status: 'expired' });
    expect((await reserve('5', null)).id).toEqual(expect.any(String));
    expect(await availability()).toEqual({ reserved: '5', available: '0' });
  });
});
