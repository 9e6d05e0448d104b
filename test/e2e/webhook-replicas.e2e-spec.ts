import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant } from '../support/tenant-factory.js';

const EVENTS = 1000;

/** Two service replicas (two dispatchers) on one database share the queue: every event once, no attempt twice. */
describe('two dispatchers under 1,000 events', () => {
  let a: TestApp;
  let b: TestApp;
  let server: Server;
  const received = new Map<string, number>();

  beforeAll(async () => {
    server = createServer((request, response) => {
      const id = String(request.headers['webhook-id']);
      received.set(id, (received.get(id) ?? 0) + 1);
      request.resume();
      request.on('end', () => response.end('ok'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const env = {
      WEBHOOK_DISPATCHER_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_POLL_INTERVAL_MS: '60000',
    };
    a = await createTestApp({ env });
    b = await createTestApp({ env, database: a.database });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('delivers every event exactly once across the replicas', async () => {
    const tenant = await createTenant(a, 'replicas');
    const port = (server.address() as AddressInfo).port;
    await a
      .http()
      .post('/api/webhooks')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ name: 'all', url: `http://127.0.0.1:${port}/hook`, events: ['item.created'] })
      .expect(201);
    // 1,000 events in one statement: the fan-out trigger makes 1,000 deliveries and one notification.
    await a.database.query(
      `insert into outbox_events (tenant_id, type, payload)
       select $1, 'item.created', jsonb_build_object('n', g) from generate_series(1, ${EVENTS}) g`,
      [tenant.id],
    );
    const pending = async () =>
      (
        await a.database.query<{ n: number }>(
          `select count(*)::int as n from webhook_deliveries where tenant_id = $1 and status <> 'success'`,
          [tenant.id],
        )
      )[0].n;
    for (let i = 0; i < 600 && (await pending()) > 0; i += 1)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await pending()).toBe(0);
    expect(received.size).toBe(EVENTS);
    expect([...received.values()].every((count) => count === 1)).toBe(true);
    const [{ attempts }] = await a.database.query<{ attempts: number }>(
      `select count(*)::int as attempts from webhook_attempts where tenant_id = $1`,
      [tenant.id],
    );
    expect(attempts).toBe(EVENTS);
  });
});
