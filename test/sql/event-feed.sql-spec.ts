import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { openSqlDatabase, type SqlDatabase } from '../support/sql-database.js';

const AUDIT = { actorId: null, actorKind: 'system', actorName: 'test' };

/**
 * The event feed's order in the database (db/functions/append_to_event_feed.sql): positions are taken at
 * COMMIT, so they follow commit order per tenant, whatever order the events were inserted in. Each case commits
 * on connections of its own (the app role); the database is a clone dropped at the end.
 */
describe('event feed: positions in commit order', () => {
  let db: SqlDatabase;
  let tenantId: string;
  let otherTenantId: string;
  const connections: pg.Client[] = [];

  const connect = async (tenant: string) => {
    const connection = await db.connectApp();
    connections.push(connection);
    return {
      connection,
      async begin() {
        await connection.query('begin');
        await connection.query('select enter_tenant($1, $2)', [tenant, AUDIT]);
      },
      async event(type = 'item.updated'): Promise<string> {
        const id = randomUUID();
        await connection.query(
          `insert into outbox_events (tenant_id, id, type, payload) values ($1, $2, $3, '{}'::jsonb)`,
          [tenant, id, type],
        );
        return id;
      },
    };
  };

  /** The tenant's feed as the app role reads it: event ids in position order. */
  const feed = async (tenant: string): Promise<string[]> => {
    const reader = await connect(tenant);
    await reader.begin();
    const { rows } = await reader.connection.query<{ event_id: string }>(
      'select event_id from event_feed order by position',
    );
    await reader.connection.query('commit');
    return rows.map((row) => row.event_id);
  };

  beforeAll(async () => {
    db = await openSqlDatabase();
    const tenants = await db.query<{ id: string }>(
      `insert into tenants (name, slug) values ('feed-a', 'feed-a'), ('feed-b', 'feed-b') returning id`,
    );
    [tenantId, otherTenantId] = tenants.map((row) => row.id);
  });
  afterAll(async () => {
    await Promise.all(connections.map((connection) => connection.end()));
    await db.close();
  });

  it('orders by commit, not by insert: the transaction that inserted first and committed last comes last', async () => {
    const early = await connect(tenantId);
    const late = await connect(tenantId);
    await early.begin();
    const inserted = await early.event();
    await late.begin();
    const second = await late.event();
    const third = await late.event();
    await late.connection.query('commit');
    // A reader now sees the committed transaction only; the open one has no position yet.
    expect(await feed(tenantId)).toEqual([second, third]);
    await early.connection.query('commit');
    expect(await feed(tenantId)).toEqual([second, third, inserted]);
  });

  it('never has a rolled-back event, nor a webhook endpoint test ping', async () => {
    const writer = await connect(tenantId);
    await writer.begin();
    const rolledBack = await writer.event();
    await writer.connection.query('rollback');
    await writer.begin();
    const ping = await writer.event('webhook.test');
    const kept = await writer.event('location.created');
    await writer.connection.query('commit');
    const events = await feed(tenantId);
    expect(events).not.toContain(rolledBack);
    expect(events).not.toContain(ping);
    expect(events.at(-1)).toBe(kept);
  });

  it("keeps each tenant's feed to its own events", async () => {
    const own = await connect(tenantId);
    const other = await connect(otherTenantId);
    await own.begin();
    const ownEvent = await own.event();
    await other.begin();
    const otherEvent = await other.event();
    // Different tenants take different locks: neither commit waits for the other.
    await Promise.all([own.connection.query('commit'), other.connection.query('commit')]);
    expect(await feed(otherTenantId)).toEqual([otherEvent]);
    const events = await feed(tenantId);
    expect(events).toContain(ownEvent);
    expect(events).not.toContain(otherEvent);
  });

  it('only append_to_event_feed writes the feed: the app role cannot', async () => {
    const writer = await connect(tenantId);
    await writer.begin();
    await expect(
      writer.connection.query(
        `insert into event_feed (tenant_id, position, event_id, committed_at) values ($1, 1, $2, now())`,
        [tenantId, randomUUID()],
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await writer.connection.query('rollback');
  });
});
