import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { bodyOf } from '../support/api-body.js';
import { cli } from '../support/cli.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

interface FeedPage {
  data: Array<{ id: string; type: string; createdAt: string; data: Record<string, unknown> }>;
  nextCursor: string;
}

/** One transaction that wrote events: their ids, and the interval that contains its commit. */
interface Committed {
  ids: string[];
  startedCommitAt: number;
  committedAt: number;
}

/**
 * GET /api/events against concurrent writers: transactions committing out of insert order (some held open 2 s),
 * rolled-back ones, HTTP movements, another tenant; a reader following nextCursor with wait, and one restarted
 * from a saved cursor.
 */
describe('event feed (GET /api/events)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let auth: { Authorization: string };
  let itemId: string;
  let locationId: string;

  const read = async (query: Record<string, string | number>, as = auth): Promise<FeedPage> => {
    const response = await t.http().get('/api/events').query(query).set(as);
    expect(response.status).toBe(200);
    return bodyOf<FeedPage>(response);
  };

  /** Reads on from `after` until nothing is left; the ids in feed order and the last cursor. */
  const drain = async (after?: string): Promise<{ ids: string[]; cursor: string | undefined }> => {
    const ids: string[] = [];
    let cursor = after;
    for (;;) {
      const page = await read({ ...(cursor && { after: cursor }), limit: 50 });
      ids.push(...page.data.map((event) => event.id));
      cursor = page.nextCursor;
      if (page.data.length === 0) return { ids, cursor };
    }
  };

  /** A connection of the app role in `tenantId`'s transactions, as the service's own. */
  const sqlWriter = async (tenantId: string) => {
    const connection = new pg.Client({ connectionString: t.endpoints.appUrl });
    await connection.connect();
    return {
      /** One transaction writing `count` events; held open `holdMs` before its COMMIT (or ROLLBACK). */
      async transaction(count: number, options: { holdMs?: number; rollback?: boolean } = {}) {
        await connection.query('begin');
        await connection.query('select enter_tenant($1, $2)', [
          tenantId,
          { actorId: null, actorKind: 'system', actorName: 'feed-test' },
        ]);
        const ids: string[] = [];
        for (let i = 0; i < count; i += 1) {
          const id = randomUUID();
          await connection.query(
            `insert into outbox_events (tenant_id, id, type, payload) values ($1, $2, 'item.updated', '{}')`,
            [tenantId, id],
          );
          ids.push(id);
        }
        if (options.holdMs) await sleep(options.holdMs);
        const startedCommitAt = performance.now();
        await connection.query(options.rollback ? 'rollback' : 'commit');
        return { ids, startedCommitAt, committedAt: performance.now() };
      },
      end: () => connection.end(),
    };
  };

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t, 'feed');
    other = await createTenant(t, 'feed-other');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
    itemId = bodyOf<{ id: string }>(
      await t.http().post('/api/items').set(auth).send({ sku: 'F-1', name: 'F', baseUom: 'ea' }).expect(201),
    ).id;
    locationId = bodyOf<{ id: string }>(
      await t.http().post('/api/locations').set(auth).send({ site: 'S', name: 'F' }).expect(201),
    ).id;
  });
  afterAll(() => t.close());

  it('follows 8 concurrent writers: every committed event once, in commit order, none rolled back, no other tenant', async () => {
    const start = await drain();
    const committed: Committed[] = [];
    const rolledBack: string[] = [];
    const writers = await Promise.all(Array.from({ length: 4 }, () => sqlWriter(tenant.id)));
    const otherWriter = await sqlWriter(other.id);
    const otherIds: string[] = [];

    // The reader follows the cursor with wait while the writers run, until it has every committed event.
    let writing = true;
    const seen: string[] = [];
    const cursors: string[] = [];
    const reader = (async () => {
      let cursor = start.cursor;
      for (;;) {
        const page = await read({ ...(cursor && { after: cursor }), wait: 2, limit: 20 });
        seen.push(...page.data.map((event) => event.id));
        cursor = page.nextCursor;
        cursors.push(cursor);
        if (!writing && page.data.length === 0) return;
      }
    })();

    await Promise.all([
      // Four SQL writers: six transactions each, the first held open 2 s (others commit meanwhile), every third
      // rolled back.
      ...writers.map(async (writer) => {
        for (let i = 0; i < 6; i += 1) {
          const rollback = i % 3 === 2;
          const result = await writer.transaction(1 + (i % 2), { holdMs: i === 0 ? 2000 : 0, rollback });
          if (rollback) rolledBack.push(...result.ids);
          else committed.push(result);
        }
      }),
      // Four HTTP writers: five receipts each (movement.posted and inventory.updated in one transaction).
      ...Array.from({ length: 4 }, async () => {
        for (let i = 0; i < 5; i += 1) {
          const startedCommitAt = performance.now();
          const response = await t
            .http()
            .post('/api/inventory/movements')
            .set(auth)
            .send({ type: 'receipt', lines: [{ itemId, locationId, qty: '1' }] })
            .expect(201);
          const movementId = bodyOf<{ id: string }>(response).id;
          const ids = (
            await t.database.query<{ id: string }>(
              `select id from outbox_events where tenant_id = $1 and (payload ->> 'id' = $2 or payload ->> 'movementId' = $2)`,
              [tenant.id, movementId],
            )
          ).map((row) => row.id);
          expect(ids).toHaveLength(2);
          committed.push({ ids, startedCommitAt, committedAt: performance.now() });
        }
      }),
      (async () => {
        for (let i = 0; i < 3; i += 1) otherIds.push(...(await otherWriter.transaction(2)).ids);
      })(),
    ]);
    writing = false;
    await reader;
    await Promise.all([...writers, otherWriter].map((writer) => writer.end()));

    const expected = committed.flatMap((transaction) => transaction.ids);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expected].sort());
    for (const id of [...rolledBack, ...otherIds]) expect(seen).not.toContain(id);
    // Commit order: a transaction whose commit ended before another's began comes first in the feed.
    const position = new Map(seen.map((id, index) => [id, index]));
    for (const a of committed)
      for (const b of committed)
        if (a.committedAt < b.startedCommitAt)
          expect(Math.max(...a.ids.map((id) => position.get(id)!))).toBeLessThan(
            Math.min(...b.ids.map((id) => position.get(id)!)),
          );

    // A consumer restarted from a cursor it saved continues with exactly what came after it.
    const saved = cursors[Math.floor(cursors.length / 2)];
    const before = seen.length - (await drain(saved)).ids.length;
    expect((await drain(saved)).ids).toEqual(seen.slice(before));
    // The other tenant's reader sees only its own events, in its commit order.
    const otherAuth = { Authorization: `Bearer ${other.admin.token}` };
    const otherPage = await read({ limit: 100 }, otherAuth);
    expect(otherPage.data.map((event) => event.id).filter((id) => otherIds.includes(id))).toEqual(otherIds);
    expect(otherPage.data.some((event) => expected.includes(event.id))).toBe(false);
  });

  it('wait answers as soon as an event commits (median of five under 100 ms), and empty when none does', async () => {
    const writer = await sqlWriter(tenant.id);
    const delays: number[] = [];
    try {
      for (let i = 0; i < 5; i += 1) {
        const { cursor } = await drain();
        const answered = read({ after: cursor!, wait: 10 }).then((page) => ({ page, at: performance.now() }));
        // Give the request time to be waiting (an earlier commit would be found by its first read anyway).
        await sleep(300);
        const { ids, committedAt } = await writer.transaction(1);
        const { page, at } = await answered;
        expect(page.data.map((event) => event.id)).toEqual(ids);
        expect(at - committedAt).toBeLessThan(2000);
        delays.push(at - committedAt);
      }
    } finally {
      await writer.end();
    }
    delays.sort((a, b) => a - b);
    expect(delays[2]).toBeLessThan(100);

    const { cursor } = await drain();
    const started = performance.now();
    const empty = await read({ after: cursor!, wait: 1 });
    expect(empty).toEqual({ data: [], nextCursor: cursor });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('filters by type and pages by limit; the cursor moves past what the filter left out', async () => {
    const { cursor } = await drain();
    await t
      .http()
      .post('/api/inventory/movements')
      .set(auth)
      .send({ type: 'receipt', lines: [{ itemId, locationId, qty: '2' }] })
      .expect(201);
    const posted = await read({ after: cursor!, types: 'movement.posted' });
    expect(posted.data.map((event) => event.type)).toEqual(['movement.posted']);
    expect(posted.data[0].data).toMatchObject({ type: 'receipt' });
    // Nothing of that type after it, though an inventory.updated was: the cursor is past both.
    expect((await read({ after: posted.nextCursor })).data).toEqual([]);
    const one = await read({ after: cursor!, limit: 1 });
    expect(one.data).toHaveLength(1);
    const rest = await read({ after: one.nextCursor });
    expect(rest.data.map((event) => event.type)).toEqual(['inventory.updated']);
  });

  it('refuses a cursor it did not issue, an unknown type, limit and wait out of range (400)', async () => {
    for (const query of [
      { after: 'garbage' },
      { types: 'movement.posted,no.such.type' },
      { types: 'webhook.test' },
      { limit: 0 },
      { limit: 1001 },
      { wait: 31 },
      { wait: -1 },
    ]) {
      const response = await t.http().get('/api/events').query(query).set(auth);
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.headers['content-type']).toMatch(/application\/problem\+json/);
    }
  });

  it('answers 410 cursor-expired for a cursor from before what retention kept (events:purge)', async () => {
    const { cursor: old } = await drain();
    const writer = await sqlWriter(tenant.id);
    const { ids } = await writer.transaction(2);
    await writer.end();
    const { cursor: latest } = await drain();
    // Age those two beyond EVENT_RETENTION_DAYS (owner connection), then run the job.
    await t.database.query(
      `update event_feed set committed_at = now() - interval '40 days' where tenant_id = $1 and event_id = any($2::uuid[])`,
      [tenant.id, ids],
    );
    await t.database.query(
      `update outbox_events set created_at = now() - interval '40 days' where tenant_id = $1 and id = any($2::uuid[])`,
      [tenant.id, ids],
    );
    const purged = await cli(t, 'events:purge');
    expect(purged.code).toBe(0);
    expect(purged.stdout).toMatch(/deleted \d+ event-feed entr/);
    const expired = await t.http().get('/api/events').query({ after: old! }).set(auth);
    expect(expired.status).toBe(410);
    expect(bodyOf<{ type: string }>(expired).type).toMatch(/cursor-expired$/);
    // A cursor at or after the horizon still reads; the deleted events are gone from the outbox too.
    expect((await t.http().get('/api/events').query({ after: latest! }).set(auth)).status).toBe(200);
    expect(
      await t.database.query(`select id from outbox_events where tenant_id = $1 and id = any($2::uuid[])`, [
        tenant.id,
        ids,
      ]),
    ).toEqual([]);
  });
});
