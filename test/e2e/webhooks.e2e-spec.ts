import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { bodyOf } from '../support/api-body.js';
import type {
  DeliveryPage,
  ItemView,
  LocationView,
  Problem,
  WebhookEventTypeView,
  WebhookWithSecretView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

describe('webhook endpoints and transactional fan-out', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let asA: { Authorization: string };
  let item: string;
  let bin: string;

  const endpoint = (auth: { Authorization: string }, body: Record<string, unknown>) =>
    t
      .http()
      .post('/api/webhooks')
      .set(auth)
      .send({ name: 'hook', url: 'http://127.0.0.1:9/hook', ...body });

  async function deliveries(endpointId: string, auth = asA) {
    const response = await t.http().get(`/api/webhooks/${endpointId}/deliveries?limit=500`).set(auth);
    expect(response.status).toBe(200);
    return bodyOf<DeliveryPage>(response).data;
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', THROTTLE_LIMIT: '100000' } });
    a = await createTenant(t, 'hooks-a');
    b = await createTenant(t, 'hooks-b');
    asA = { Authorization: `Bearer ${a.admin.token}` };
    item = bodyOf<ItemView>(
      await t.http().post('/api/items').set(asA).send({ sku: 'H1', name: 'Hooked', baseUom: 'ea' }),
    ).id;
    bin = bodyOf<LocationView>(
      await t.http().post('/api/locations').set(asA).send({ site: 'S', name: 'B' }),
    ).id;
  });
  afterAll(() => t.close());

  it('creates an endpoint with a whsec_ secret shown once and stored encrypted', async () => {
    const created = await endpoint(asA, { events: ['*'] });
    expect(created.status).toBe(201);
    const body = bodyOf<WebhookWithSecretView>(created);
    expect(body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(body.status).toBe('active');
    const read = await t.http().get(`/api/webhooks/${body.id}`).set(asA);
    expect(read.body).not.toHaveProperty('secret');
    expect(JSON.stringify((await t.http().get('/api/webhooks').set(asA)).body)).not.toContain(body.secret);
    const [row] = await t.database.query<{ secret_encrypted: string }>(
      `select secret_encrypted from webhook_endpoints where id = $1`,
      [body.id],
    );
    expect(row.secret_encrypted).not.toContain(body.secret.slice(6, 20));
  });

  it('validates events, headers and the URL, listing every bad field', async () => {
    const response = await endpoint(asA, {
      url: 'ftp://user:pw@example.com/x',
      events: ['movement.posted', 'stock.stolen'],
      headers: { 'webhook-signature': 'forged', 'X-Custom': 'ok', 'Bad Header': 'x' },
    });
    expect(response.status).toBe(400);
    expect(
      bodyOf<Problem>(response)
        .errors!.map((e) => e.field)
        .sort(),
    ).toEqual(['events[1]', 'headers.Bad Header', 'headers.webhook-signature', 'url'].sort());
  });

  it('fans each committed event out to every matching active endpoint, in the same transaction', async () => {
    const all = bodyOf<WebhookWithSecretView>(await endpoint(asA, { events: ['*'] }));
    const posted = bodyOf<WebhookWithSecretView>(await endpoint(asA, { events: ['movement.posted'] }));
    const off = bodyOf<WebhookWithSecretView>(await endpoint(asA, { events: ['*'] }));
    await t.http().patch(`/api/webhooks/${off.id}`).set(asA).send({ status: 'disabled' }).expect(200);

    await t
      .http()
      .post('/api/inventory/movements')
      .set(asA)
      .send({ type: 'receipt', lines: [{ itemId: item, locationId: bin, qty: 2 }] })
      .expect(201);
    expect((await deliveries(all.id)).map((d) => d.eventType).sort()).toEqual([
      'inventory.updated',
      'movement.posted',
    ]);
    expect((await deliveries(posted.id)).map((d) => d.eventType)).toEqual(['movement.posted']);
    expect(await deliveries(off.id)).toEqual([]);
    expect((await deliveries(all.id)).every((d) => d.status === 'pending')).toBe(true);

    // A movement rolled back (insufficient stock) produces no event and no delivery.
    const before = (await deliveries(all.id)).length;
    await t
      .http()
      .post('/api/inventory/movements')
      .set(asA)
      .send({ type: 'issue', lines: [{ itemId: item, locationId: bin, qty: 99 }] })
      .expect(409);
    expect(await deliveries(all.id)).toHaveLength(before);
  });

  it('wakes dispatchers at commit: NOTIFY webhook_deliveries names the tenant', async () => {
    await endpoint(asA, { events: ['item.created'] }).expect(201);
    const listener = new pg.Client({ connectionString: t.endpoints.appUrl });
    await listener.connect();
    try {
      await listener.query('LISTEN webhook_deliveries');
      const heard = new Promise<string | undefined>((resolve) =>
        listener.once('notification', (message) => resolve(message.payload)),
      );
      await t
        .http()
        .post('/api/items')
        .set(asA)
        .send({ sku: 'H-NOTIFY', name: 'n', baseUom: 'ea' })
        .expect(201);
      expect(await heard).toBe(a.id);
    } finally {
      await listener.end();
    }
  });

  it("never delivers tenant B's events to A's endpoints, and A's endpoints are 404 for B", async () => {
    const mine = bodyOf<WebhookWithSecretView>(await endpoint(asA, { events: ['*'] }));
    const asB = { Authorization: `Bearer ${b.admin.token}` };
    await t.http().post('/api/items').set(asB).send({ sku: 'B1', name: 'B item', baseUom: 'ea' }).expect(201);
    expect(await deliveries(mine.id)).toEqual([]);
    expect((await t.http().get(`/api/webhooks/${mine.id}`).set(asB)).status).toBe(404);
    expect((await t.http().get(`/api/webhooks/${mine.id}/deliveries`).set(asB)).status).toBe(404);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from webhook_deliveries d join outbox_events e on e.tenant_id = d.tenant_id and e.id = d.event_id
        where d.endpoint_id = $1 and e.tenant_id <> $2`,
      [mine.id, a.id],
    );
    expect(n).toBe(0);
  });

  it('rotates the secret: a new one shown once, the old one kept for 24 h', async () => {
    const created = bodyOf<WebhookWithSecretView>(await endpoint(asA, { events: ['item.created'] }));
    const rotated = await t.http().post(`/api/webhooks/${created.id}/rotate-secret`).set(asA);
    expect(rotated.status).toBe(200);
    const secret = bodyOf<WebhookWithSecretView>(rotated).secret;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(created.secret);
    const [row] = await t.database.query<{ kept: boolean }>(
      `select previous_secret_encrypted is not null and previous_secret_expires_at > now() + interval '23 hours' as kept
         from webhook_endpoints where id = $1`,
      [created.id],
    );
    expect(row).toEqual({ kept: true });
  });

  it('lists the event catalog with an example per event', async () => {
    const response = await t.http().get('/api/webhooks/events').set(asA);
    expect(response.status).toBe(200);
    const types = bodyOf<WebhookEventTypeView[]>(response).map((e) => e.type);
    expect(types).toEqual(
      expect.arrayContaining(['movement.posted', 'inventory.updated', 'count.posted', 'webhook.test']),
    );
  });
});

describe('webhook URLs without private networks', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it.each([
    'http://127.0.0.1:8080/hook',
    'http://[::1]/hook',
    'http://169.254.169.254/latest',
    'http://10.1.2.3/x',
    'http://localhost/x',
  ])('refuses %s', async (url) => {
    const tenant = await createTenant(t, 'ssrf');
    const response = await t
      .http()
      .post('/api/webhooks')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ name: 'x', url, events: ['*'] });
    expect(response.status).toBe(400);
    expect(bodyOf<Problem>(response).errors![0]).toMatchObject({ field: 'url' });
  });
});
