import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { bodyOf } from '../support/api-body.js';
import type { CreatedApiKeyView, ItemView, RoleView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

/** Idempotency-Key on the mutating POSTs that go through the generic interceptor (movements: inventory spec). */
describe('Idempotency-Key on mutating POSTs', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    tenant = await createTenant(t, 'idem');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
  });
  afterAll(() => t.close());

  async function count(sql: string): Promise<number> {
    const [{ n }] = await t.database.query<{ n: number }>(sql, [tenant.id]);
    return n;
  }

  it('returns the first response to a retry with the same key and body, creating once', async () => {
    // A tenant of its own: its only item.created event is the one this request wrote.
    const own = await createTenant(t, 'idem-once');
    const ownAuth = { Authorization: `Bearer ${own.admin.token}` };
    const key = randomUUID();
    const body = { sku: 'IDEM-1', name: 'Once', baseUom: 'ea' };
    const first = await t.http().post('/api/items').set(ownAuth).set('Idempotency-Key', key).send(body);
    const second = await t.http().post('/api/items').set(ownAuth).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
    const [{ n: items }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from items where tenant_id = $1 and sku = 'IDEM-1'`,
      [own.id],
    );
    expect(items).toBe(1);
    const [{ n: events }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from outbox_events where tenant_id = $1 and type = 'item.created'`,
      [own.id],
    );
    expect(events).toBe(1);
  });

  it('refuses the same key with a different body (422) and writes nothing', async () => {
    const key = randomUUID();
    await t
      .http()
      .post('/api/locations')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ site: 'S', name: 'one' })
      .expect(201);
    const other = await t
      .http()
      .post('/api/locations')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ site: 'S', name: 'two' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ type: 'idempotency-key-reused' });
    expect(
      await count(`select count(*)::int as n from locations where tenant_id = $1 and name = 'two'`),
    ).toBe(0);
  });

  it('creates once when the same request arrives concurrently (others: replay or 409 in flight)', async () => {
    const key = randomUUID();
    const body = { name: `Role ${key}`, permissions: ['items:read'] };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () =>
        t.http().post('/api/roles').set(auth).set('Idempotency-Key', key).send(body),
      ),
    );
    for (const response of responses) expect([201, 409]).toContain(response.status);
    const ids = new Set(responses.filter((r) => r.status === 201).map((r) => bodyOf<RoleView>(r).id));
    expect(ids.size).toBe(1);
    expect(
      await count(`select count(*)::int as n from roles where tenant_id = $1 and name = 'Role ${key}'`),
    ).toBe(1);
  });

  it('does not keep the key of a failed request: a retry runs again instead of replaying the failure', async () => {
    const key = randomUUID();
    await t.http().post('/api/items').set(auth).send({ sku: 'TAKEN', name: 'x', baseUom: 'ea' }).expect(201);
    const conflict = await t
      .http()
      .post('/api/items')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ sku: 'TAKEN', name: 'y', baseUom: 'ea' });
    expect(conflict.status).toBe(409);
    const retry = await t
      .http()
      .post('/api/items')
      .set(auth)
      .set('Idempotency-Key', key)
      .send({ sku: 'TAKEN', name: 'y', baseUom: 'ea' });
    expect(retry.status).toBe(409);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
  });

  it('keys are per tenant: the same key in another tenant is independent', async () => {
    const other = await createTenant(t, 'idem2');
    const key = randomUUID();
    const body = { sku: 'SAME', name: 'Same', baseUom: 'ea' };
    const mine = await t.http().post('/api/items').set(auth).set('Idempotency-Key', key).send(body);
    const theirs = await t
      .http()
      .post('/api/items')
      .set('Authorization', `Bearer ${other.admin.token}`)
      .set('Idempotency-Key', key)
      .send(body);
    expect(mine.status).toBe(201);
    expect(theirs.status).toBe(201);
    expect(bodyOf<ItemView>(theirs).id).not.toBe(bodyOf<ItemView>(mine).id);
    expect(theirs.headers['idempotent-replayed']).toBeUndefined();
  });

  it('never stores or replays a secret shown once (the API key)', async () => {
    const key = randomUUID();
    const body = { name: 'replayed key', roleId: tenant.roles.Analyst };
    const first = await t.http().post('/api/api-keys').set(auth).set('Idempotency-Key', key).send(body);
    expect(first.status).toBe(201);
    const secret = bodyOf<CreatedApiKeyView>(first).key;
    expect(secret).toMatch(/^iek_/);
    const replay = await t.http().post('/api/api-keys').set(auth).set('Idempotency-Key', key).send(body);
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual({ ...(first.body as object), key: undefined });
    expect(JSON.stringify(replay.body)).not.toContain(secret);
    const stored = await t.database.query<{ body: string }>(
      `select response_body::text as body from idempotency_keys where tenant_id = $1 and key = $2`,
      [tenant.id, key],
    );
    expect(stored[0].body).not.toContain(secret);
  });

  it('rejects a key longer than 255 characters', async () => {
    const response = await t
      .http()
      .post('/api/items')
      .set(auth)
      .set('Idempotency-Key', 'k'.repeat(256))
      .send({ sku: 'LONG', name: 'x', baseUom: 'ea' });
    expect(response.status).toBe(400);
  });
});
