import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitUntilBackendsGone } from '../support/database-backends.js';
import { createItem, createLocation, createWebhook, inProcessApi } from '../kit/api.js';
import { startService, type ServiceProcess } from '../kit/test-database-service.js';
import { createTestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

const SECRET_KEY = 'crash-test-webhook-secret-key-0123456789';

/** Answers every delivery 200 after 150 ms (so some are in flight when the service dies). */
class SlowReceiver {
  readonly movementIds = new Set<string>();
  readonly webhookIds: string[] = [];
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        setTimeout(() => {
          const event = JSON.parse(body) as { type: string; data: { id: string } };
          this.webhookIds.push(String(request.headers['webhook-id']));
          if (event.type === 'movement.posted') this.movementIds.add(event.data.id);
          response.end('ok');
        }, 150).unref();
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('webhooks survive kill -9 of the service right after commits', () => {
  let database: TestDatabase;
  let tenant: TestTenant;
  const receiver = new SlowReceiver();
  let item: string;
  let bin: string;

  beforeAll(async () => {
    await receiver.start();
    database = await createTestDatabase();
    // The in-process app only sets the scene and is closed before the service starts: from then on every
    // inventory-enterprise:* backend of this database belongs to the service process (see the kill below).
    const t = await createTestApp({
      database,
      env: {
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOK_SECRET_KEY: SECRET_KEY,
        THROTTLE_LIMIT: '100000',
      },
    });
    try {
      tenant = await createTenant(t, 'crash');
      const api = inProcessApi(t);
      const token = tenant.admin.token;
      item = await createItem(api, token, { sku: 'K-1', name: 'Killed' });
      bin = await createLocation(api, token, { site: 'K', name: 'K-1' });
      await createWebhook(api, token, {
        name: 'crash',
        url: receiver.url,
        events: ['movement.posted'],
        timeoutMs: 2000,
      });
    } finally {
      await t.close();
    }
  });

  afterAll(async () => {
    await database?.drop();
    await receiver.stop();
  });

  it('delivers every committed movement after a restart (at-least-once, nothing lost)', async () => {
    const env = {
      WEBHOOK_DISPATCHER_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_SECRET_KEY: SECRET_KEY,
      WEBHOOK_LEASE_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '500',
      THROTTLE_LIMIT: '100000',
    };
    const first: ServiceProcess = await startService(database, env);
    const acknowledged: string[] = [];
    let killed = false;
    const post = async (): Promise<void> => {
      while (!killed) {
        try {
          const response = await fetch(`${first.url}/api/inventory/movements`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${tenant.admin.token}` },
            body: JSON.stringify({ type: 'receipt', lines: [{ itemId: item, locationId: bin, qty: '1' }] }),
          });
          if (response.status === 201) acknowledged.push(((await response.json()) as { id: string }).id);
        } catch {
          return; // the service is gone
        }
      }
    };
    const clients = Array.from({ length: 4 }, () => post());
    // Kill while deliveries are in flight and movements are being committed.
    for (let i = 0; i < 200 && receiver.webhookIds.length < 5; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    killed = true;
    expect(await first.stop('SIGKILL')).toBeNull();
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThan(5);
    const deliveredBeforeRestart = receiver.movementIds.size;

    // The dead process's last COMMITs may still be executing in PostgreSQL: read what committed only once all
    // of its backends have exited (each one after its transaction committed or rolled back).
    await waitUntilBackendsGone(database, 'inventory-enterprise:');
    const [{ committed }] = await database.query<{ committed: string[] }>(
      `select coalesce(array_agg(id::text), '{}') as committed from inventory_movements where tenant_id = $1`,
      [tenant.id],
    );
    // Every acknowledged movement is committed (and there may be a few committed but unacknowledged ones).
    expect(committed).toEqual(expect.arrayContaining(acknowledged));
    expect(deliveredBeforeRestart).toBeLessThan(committed.length);

    const second = await startService(database, env);
    try {
      // Deliveries that were in flight at the kill stay leased (endpoint timeout + 5 s), then are sent again.
      const states = async () =>
        (
          await database.query<{ pending: number; success: number }>(
            `select count(*) filter (where status = 'pending')::int as pending,
                    count(*) filter (where status = 'success')::int as success
               from webhook_deliveries where tenant_id = $1`,
            [tenant.id],
          )
        )[0];
      for (let i = 0; i < 400 && (await states()).pending > 0; i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(committed.filter((id) => !receiver.movementIds.has(id))).toEqual([]);
      expect(await states()).toEqual({ pending: 0, success: committed.length });
      const resent = receiver.webhookIds.length - new Set(receiver.webhookIds).size;
      process.stdout.write(
        `kill -9: ${acknowledged.length} acknowledged, ${committed.length} committed, ${deliveredBeforeRestart} ` +
          `delivered before the kill, ${resent} resent after the lease with the same webhook-id\n`,
      );
    } finally {
      await second.stop();
    }
  });
});
