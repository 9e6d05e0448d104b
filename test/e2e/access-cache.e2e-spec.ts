import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource, type AfterQueryEvent } from 'typeorm';
import { AccessChangeListener } from '../../src/platform/tenancy/access-change-listener.js';
import { bodyOf } from '../support/api-body.js';
import type { LoginResponse } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createApiKey, createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';

/**
 * Two service replicas on one database. Authentication is cached per process; a change made through replica A
 * must apply to the very next request on A, and on B as soon as B has heard the NOTIFY (no waiting for a TTL).
 */
describe('principal cache across replicas (NOTIFY access_changed)', () => {
  let a: TestApp;
  let b: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    a = await createTestApp();
    b = await createTestApp({ database: a.database });
    tenant = await createTenant(a, 'cache');
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  /** Resolves when replica `t` has heard that `tenantId`'s access changed. */
  function heard(t: TestApp, tenantId: string): Promise<void> {
    return new Promise((resolve) =>
      t.app.get(AccessChangeListener).onChange((id) => id === tenantId && resolve()),
    );
  }

  it('refuses a suspended user on A at once and on B once B heard the change', async () => {
    const user = await createUser(a, tenant, ['Analyst']);
    const bearer = { Authorization: `Bearer ${user.token}` };
    // Both replicas have the user cached now.
    await a.http().get('/api/auth/me').set(bearer).expect(200);
    await b.http().get('/api/auth/me').set(bearer).expect(200);
    const bHeard = heard(b, tenant.id);
    await a
      .http()
      .patch(`/api/users/${user.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ status: 'suspended' })
      .expect(200);
    await a.http().get('/api/auth/me').set(bearer).expect(401);
    await bHeard;
    await b.http().get('/api/auth/me').set(bearer).expect(401);
  });

  it('applies a role change and a key revocation on both replicas', async () => {
    const user = await createUser(a, tenant, ['Counter']);
    const bearer = { Authorization: `Bearer ${user.token}` };
    await b.http().get('/api/users').set(bearer).expect(403);
    const bHeard = heard(b, tenant.id);
    await a
      .http()
      .patch(`/api/users/${user.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ roleIds: [tenant.roles.Auditor] })
      .expect(200);
    await bHeard;
    await b.http().get('/api/users').set(bearer).expect(200);

    const key = await createApiKey(a, tenant, 'Analyst');
    await b.http().get('/api/auth/me').set('X-API-Key', key.key).expect(200);
    const revoked = heard(b, tenant.id);
    await a
      .http()
      .delete(`/api/api-keys/${key.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .expect(204);
    await a.http().get('/api/auth/me').set('X-API-Key', key.key).expect(401);
    await revoked;
    await b.http().get('/api/auth/me').set('X-API-Key', key.key).expect(401);
  });

  it('refuses a suspended tenant on B once B heard it', async () => {
    const other = await createTenant(a, 'cache2');
    const bearer = { Authorization: `Bearer ${other.admin.token}` };
    await b.http().get('/api/auth/me').set(bearer).expect(200);
    const bHeard = heard(b, other.id);
    const platform = await a
      .http()
      .post('/api/auth/login')
      .set('X-Tenant-Id', 'default')
      .send({ email: 'platform-admin@example.com', password: 'platform-admin-password' });
    await a
      .http()
      .patch(`/api/tenants/${other.id}`)
      .set('Authorization', `Bearer ${bodyOf<LoginResponse>(platform).accessToken}`)
      .send({ status: 'suspended' })
      .expect(200);
    await bHeard;
    const refused = await b.http().get('/api/auth/me').set(bearer);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ type: 'tenant-suspended' });
  });

  it('serves authenticated requests without a principal query once cached', async () => {
    const user = await createUser(a, tenant, ['Analyst']);
    const bearer = { Authorization: `Bearer ${user.token}` };
    await a.http().get('/api/auth/me').set(bearer).expect(200);
    // Watch the statements the request pool sends.
    let principalQueries = 0;
    a.app.get(DataSource).subscribers.push({
      afterQuery: (event: AfterQueryEvent) => {
        if (
          event.query.includes('auth_user(') &&
          (event.parameters as unknown[] | undefined)?.includes(user.id)
        )
          principalQueries += 1;
      },
    });
    for (let i = 0; i < 5; i += 1) await a.http().get('/api/auth/me').set(bearer).expect(200);
    expect(principalQueries).toBe(0);
    // A change drops the cache: the next request loads the principal again, once.
    const notified = heard(a, tenant.id);
    await a
      .http()
      .patch(`/api/users/${user.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ name: 'renamed' })
      .expect(200);
    await notified;
    for (let i = 0; i < 5; i += 1) await a.http().get('/api/auth/me').set(bearer).expect(200);
    expect(principalQueries).toBe(1);
  });
});
