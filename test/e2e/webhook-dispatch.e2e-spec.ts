import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { WebhookQueueStatistics } from '../../src/modules/webhooks/webhook-queue-statistics.service.js';
import { WebhookRetention } from '../../src/modules/webhooks/webhook-retention.service.js';
import { bodyOf } from '../support/api-body.js';
import type {
  AuditEntryPage,
  DeliveryPage,
  WebhookView,
  WebhookWithSecretView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real HTTP receiver on 127.0.0.1 answering per path with a scripted sequence of status codes. */
class Receiver {
  readonly requests: Received[] = [];
  private readonly scripts = new Map<string, number[]>();
  private server!: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const path = request.url ?? '/';
        this.requests.push({ path, headers: request.headers, body, at: Date.now() });
        const script = this.scripts.get(path) ?? [];
        const status = script.length > 1 ? script.shift()! : (script[0] ?? 200);
        // 0 means: answer only after a second (longer than the endpoint's timeout in the tests).
        if (status === 0) {
          setTimeout(() => response.end('late'), 1000).unref();
          return;
        }
        response.statusCode = status;
        response.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  script(path: string, statuses: number[]): void {
    this.scripts.set(path, statuses);
  }

  on(path: string): Received[] {
    return this.requests.filter((r) => r.path === path);
  }

  async until(predicate: () => boolean, what: string): Promise<void> {
    for (let i = 0; i < 200 && !predicate(); i += 1) await new Promise((resolve) => setTimeout(resolve, 50));
    if (!predicate()) throw new Error(`timed out waiting for ${what}`);
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('webhook dispatcher against real receivers', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };
  const receiver = new Receiver();

  async function subscribe(path: string, body: Record<string, unknown> = {}) {
    const response = await t
      .http()
      .post('/api/webhooks')
      .set(auth)
      .send({ name: path, url: `${receiver.url}${path}`, events: ['item.created'], ...body });
    expect(response.status).toBe(201);
    return bodyOf<WebhookWithSecretView>(response);
  }

  const createItem = (sku: string) =>
    t.http().post('/api/items').set(auth).send({ sku, name: sku, baseUom: 'ea' }).expect(201);

  async function delivery(endpointId: string, as = auth) {
    const response = await t.http().get(`/api/webhooks/${endpointId}/deliveries`).set(as);
    return bodyOf<DeliveryPage>(response).data;
  }

  beforeAll(async () => {
    await receiver.start();
    t = await createTestApp({
      env: {
        WEBHOOK_DISPATCHER_ENABLED: 'true',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        WEBHOOK_RETRY_DELAYS: '100,200,300',
        WEBHOOK_DISABLE_AFTER_FAILURES: '6',
        WEBHOOK_POLL_INTERVAL_MS: '60000', // notifications and retry wake-ups only: no sweeping
        THROTTLE_LIMIT: '100000',
      },
    });
    tenant = await createTenant(t, 'dispatch');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
  });
  afterAll(async () => {
    await t.close();
    await receiver.stop();
  });

  it('delivers signed events that verify with standardwebhooks and with plain HMAC', async () => {
    const hook = await subscribe('/ok');
    await createItem('D-OK');
    await receiver.until(() => receiver.on('/ok').length === 1, 'the delivery');
    const [received] = receiver.on('/ok');
    const payload = new Webhook(hook.secret.replace(/^whsec_/, '')).verify(received.body, {
      'webhook-id': String(received.headers['webhook-id']),
      'webhook-timestamp': String(received.headers['webhook-timestamp']),
      'webhook-signature': String(received.headers['webhook-signature']),
    }) as { type: string; tenantId: string; data: { sku: string } };
    expect(payload).toMatchObject({ type: 'item.created', tenantId: tenant.id, data: { sku: 'D-OK' } });
    expect(received.headers['x-webhook-event']).toBe('item.created');
    expect(received.headers['x-webhook-signature']).toBe(
      createHmac('sha256', hook.secret).update(received.body).digest('hex'),
    );
    for (let i = 0; i < 40 && (await delivery(hook.id))[0]?.status !== 'success'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([
      expect.objectContaining({ status: 'success', attempts: 1, httpStatus: 200 }),
    ]);
  });

  it("signs a rotated endpoint's deliveries with the new and the old secret for 24 h", async () => {
    const hook = await subscribe('/rotated');
    const rotated = await t.http().post(`/api/webhooks/${hook.id}/rotate-secret`).set(auth).expect(200);
    const newSecret = bodyOf<WebhookWithSecretView>(rotated).secret;
    await createItem('D-ROTATED');
    await receiver.until(() => receiver.on('/rotated').length === 1, 'the delivery');
    const [received] = receiver.on('/rotated');
    const headers = {
      'webhook-id': String(received.headers['webhook-id']),
      'webhook-timestamp': String(received.headers['webhook-timestamp']),
      'webhook-signature': String(received.headers['webhook-signature']),
    };
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const secret of [newSecret, hook.secret]) {
      expect(new Webhook(secret.replace(/^whsec_/, '')).verify(received.body, headers)).toMatchObject({
        type: 'item.created',
      });
    }
    expect(received.headers['x-webhook-signature']).toBe(
      createHmac('sha256', newSecret).update(received.body).digest('hex'),
    );
  });

  it('retries 500, 500 and delivers on the 3rd attempt with the same webhook-id, spaced by the schedule', async () => {
    receiver.script('/flaky', [500, 500, 200]);
    const hook = await subscribe('/flaky');
    await createItem('D-FLAKY');
    await receiver.until(() => receiver.on('/flaky').length === 3, 'three attempts');
    const attempts = receiver.on('/flaky');
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    expect(attempts[1].at - attempts[0].at).toBeGreaterThanOrEqual(90);
    expect(attempts[2].at - attempts[1].at).toBeGreaterThanOrEqual(180);
    for (let i = 0; i < 40 && (await delivery(hook.id))[0]?.status !== 'success'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([expect.objectContaining({ status: 'success', attempts: 3 })]);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from webhook_attempts a join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id
        where d.endpoint_id = $1`,
      [hook.id],
    );
    expect(n).toBe(3);
  });

  it('dead-letters after the last retry', async () => {
    receiver.script('/down', [500]);
    const hook = await subscribe('/down', { retryCount: 2 });
    await createItem('D-DOWN');
    await receiver.until(() => receiver.on('/down').length === 3, 'three attempts');
    for (let i = 0; i < 40 && (await delivery(hook.id))[0]?.status !== 'dlq'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([
      expect.objectContaining({ status: 'dlq', attempts: 3, httpStatus: 500 }),
    ]);
  });

  it('delivers a dead-lettered event after the receiver recovers and it is retried; /test reaches one endpoint', async () => {
    receiver.script('/later', [500]);
    const hook = await subscribe('/later', { retryCount: 0 });
    await createItem('D-LATER');
    for (let i = 0; i < 60 && (await delivery(hook.id))[0]?.status !== 'dlq'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([expect.objectContaining({ status: 'dlq', attempts: 1 })]);
    receiver.script('/later', [200]);
    const [dead] = bodyOf<DeliveryPage>(
      await t.http().get(`/api/webhooks/${hook.id}/deliveries?status=dlq`).set(auth),
    ).data;
    await t.http().post(`/api/webhooks/${hook.id}/deliveries/${dead.id}/retry`).set(auth).expect(202);
    for (let i = 0; i < 60 && (await delivery(hook.id))[0]?.status !== 'success'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([expect.objectContaining({ status: 'success', attempts: 2 })]);
    expect(
      (await t.http().post(`/api/webhooks/${hook.id}/deliveries/${dead.id}/retry`).set(auth)).status,
    ).toBe(409);

    const other = await subscribe('/other');
    const sent = await t.http().post(`/api/webhooks/${hook.id}/test`).set(auth);
    expect(sent.status).toBe(202);
    await receiver.until(
      () => receiver.on('/later').some((r) => r.headers['x-webhook-event'] === 'webhook.test'),
      'the test event',
    );
    expect(receiver.on('/other').some((r) => r.headers['x-webhook-event'] === 'webhook.test')).toBe(false);
    expect((await delivery(other.id)).length).toBe(0);
  });

  it('counts a timeout as a failed attempt and retries it', async () => {
    receiver.script('/slow', [0, 200]);
    const hook = await subscribe('/slow', { timeoutMs: 200 });
    await createItem('D-SLOW');
    for (let i = 0; i < 60 && (await delivery(hook.id))[0]?.status !== 'success'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id)).toEqual([expect.objectContaining({ status: 'success', attempts: 2 })]);
    const attempts = await t.database.query<{ error: string | null }>(
      `select a.error from webhook_attempts a join webhook_deliveries d on d.tenant_id = a.tenant_id and d.id = a.delivery_id
        where d.endpoint_id = $1 order by a.attempt`,
      [hook.id],
    );
    expect(attempts.map((a) => a.error)).toEqual(['timeout after 200 ms', null]);
  });

  it('purges finished deliveries older than the retention, and only those', async () => {
    const hook = await subscribe('/purge');
    await createItem('D-PURGE-1');
    await createItem('D-PURGE-2');
    for (
      let i = 0;
      i < 60 && (await delivery(hook.id)).filter((d) => d.status === 'success').length < 2;
      i += 1
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const [old] = await t.database.query<{ id: string }>(
      `update webhook_deliveries set completed_at = now() - interval '31 days'
        where id = (select id from webhook_deliveries where endpoint_id = $1 order by created_at limit 1) returning id`,
      [hook.id],
    );
    const deleted = await t.app.get(WebhookRetention).purge();
    expect(deleted).toBe(1);
    const left = await t.database.query<{ id: string }>(
      `select id from webhook_deliveries where endpoint_id = $1`,
      [hook.id],
    );
    expect(left.map((row) => row.id)).not.toContain(old.id);
    expect(left).toHaveLength(1);
  });

  it('disables the endpoint on 410 Gone', async () => {
    receiver.script('/gone', [410]);
    const hook = await subscribe('/gone');
    await createItem('D-GONE');
    await receiver.until(() => receiver.on('/gone').length === 1, 'the attempt');
    for (let i = 0; i < 40; i += 1) {
      const { status } = bodyOf<WebhookView>(await t.http().get(`/api/webhooks/${hook.id}`).set(auth));
      if (status === 'disabled') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect((await t.http().get(`/api/webhooks/${hook.id}`).set(auth)).body).toMatchObject({
      status: 'disabled',
    });
    expect(await delivery(hook.id)).toEqual([expect.objectContaining({ status: 'dlq', httpStatus: 410 })]);
    // The automatic disable is in the audit log, by the dispatcher; its bookkeeping updates are not.
    const audit = await t
      .http()
      .get(`/api/audit-logs?entityType=webhook_endpoint&entityId=${hook.id}`)
      .set(auth);
    expect(bodyOf<AuditEntryPage>(audit).data).toEqual([
      expect.objectContaining({
        action: 'webhook.endpoint.disabled',
        actorKind: 'system',
        actorName: 'webhook-dispatcher',
        before: expect.objectContaining({ status: 'active' }),
        after: expect.objectContaining({
          status: 'disabled',
          disabled_reason: 'HTTP 410 Gone',
          secret_encrypted: '[redacted]',
        }),
      }),
      expect.objectContaining({ action: 'webhook_endpoint.created' }),
    ]);
  });

  it('records consecutive failures across a batch and disables at WEBHOOK_DISABLE_AFTER_FAILURES', async () => {
    const hook = await subscribe('/always-500', { retryCount: 0 });
    receiver.script('/always-500', [500]);
    await Promise.all(['F-1', 'F-2', 'F-3'].map((sku) => createItem(sku)));
    await receiver.until(() => receiver.on('/always-500').length === 3, 'three failed attempts');
    let endpoint: Pick<WebhookView, 'status' | 'failureCount'> = { status: 'active', failureCount: -1 };
    for (let i = 0; i < 40; i += 1) {
      endpoint = bodyOf<WebhookView>(await t.http().get(`/api/webhooks/${hook.id}`).set(auth));
      if (endpoint.failureCount === 3) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    // 3 consecutive failures (below this app's threshold of 6), each delivery to dlq (retryCount 0).
    expect(endpoint).toMatchObject({ status: 'active', failureCount: 3 });
    receiver.script('/always-500', [200]);
    await createItem('F-4');
    await receiver.until(() => receiver.on('/always-500').length === 4, 'the success');
    for (let i = 0; i < 40; i += 1) {
      endpoint = bodyOf<WebhookView>(await t.http().get(`/api/webhooks/${hook.id}`).set(auth));
      if (endpoint.failureCount === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(endpoint).toMatchObject({ status: 'active', failureCount: 0 });

    receiver.script('/always-500', [500]);
    await Promise.all(['F-5', 'F-6', 'F-7', 'F-8', 'F-9', 'F-10'].map((sku) => createItem(sku)));
    await receiver.until(() => receiver.on('/always-500').length === 10, 'six more failed attempts');
    for (let i = 0; i < 40; i += 1) {
      endpoint = bodyOf<WebhookView>(await t.http().get(`/api/webhooks/${hook.id}`).set(auth));
      if (endpoint.status === 'disabled') break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(endpoint).toMatchObject({ status: 'disabled', failureCount: 6 });
  });

  it('exposes the shared queue as webhook_queue_depth and webhook_dlq_size', async () => {
    // A dead letter of the test's own, in a tenant of its own: its event reaches no other test's endpoint.
    const own = await createTenant(t, 'dispatch-queue');
    const ownAuth = { Authorization: `Bearer ${own.admin.token}` };
    receiver.script('/queue-dlq', [500]);
    const subscribed = await t
      .http()
      .post('/api/webhooks')
      .set(ownAuth)
      .send({ name: 'dlq', url: `${receiver.url}/queue-dlq`, events: ['item.created'], retryCount: 0 })
      .expect(201);
    const hook = bodyOf<WebhookWithSecretView>(subscribed);
    await t
      .http()
      .post('/api/items')
      .set(ownAuth)
      .send({ sku: 'Q-DLQ', name: 'q', baseUom: 'ea' })
      .expect(201);
    for (let i = 0; i < 60 && (await delivery(hook.id, ownAuth))[0]?.status !== 'dlq'; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await delivery(hook.id, ownAuth)).toEqual([
      expect.objectContaining({ status: 'dlq', attempts: 1 }),
    ]);
    // Every earlier delivery has settled (success or dlq), so the figures are stable here.
    const [{ due, dlq }] = await t.database.query<{ due: number; dlq: number }>(
      `select count(*) filter (where status = 'pending' and next_attempt_at <= now())::int as due,
              count(*) filter (where status = 'dlq')::int as dlq from webhook_deliveries`,
    );
    expect(dlq).toBeGreaterThan(0);
    const figures = await t.app.get(WebhookQueueStatistics).refresh();
    expect(figures).toEqual({ due, dlq });
    const metrics = await t.http().get('/metrics');
    expect(metrics.text).toContain(`\nwebhook_dlq_size ${dlq}\n`);
    expect(metrics.text).toContain(`\nwebhook_queue_depth ${due}\n`);
  });
});
