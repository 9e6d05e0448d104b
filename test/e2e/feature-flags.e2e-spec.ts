import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { FEATURE_CATALOG, FEATURE_KEYS } from '../../src/modules/feature-flags/feature-catalog.js';
import { bodyOf } from '../support/api-body.js';
import type { AuditEntryPage, FeatureFlagView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, platformAdminToken, type TestTenant } from '../support/tenant-factory.js';

describe('feature flags and tenant limits', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let auth: { Authorization: string };

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    tenant = await createTenant(t, 'flags');
    auth = { Authorization: `Bearer ${tenant.admin.token}` };
  });

  afterAll(async () => {
    await t?.close();
  });

  it('lists every flag of the catalog at its default for a new tenant', async () => {
    const response = await t.http().get('/api/feature-flags').set(auth);
    expect(response.status).toBe(200);
    const flags = bodyOf<FeatureFlagView[]>(response);
    expect(flags.map((flag) => flag.key)).toEqual(FEATURE_KEYS);
    for (const flag of flags) {
      expect(flag.enabled).toBe(FEATURE_CATALOG[flag.key as keyof typeof FEATURE_CATALOG].default);
    }
  });

  it('a disabled feature answers 403 feature-disabled on its routes; enabling it again restores them', async () => {
    expect((await t.http().get('/api/webhooks').set(auth)).status).toBe(200);
    const off = await t.http().put('/api/feature-flags/webhooks').set(auth).send({ enabled: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ key: 'webhooks', enabled: false });

    const refused = await t.http().get('/api/webhooks').set(auth);
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toContain('application/problem+json');
    expect(refused.body).toMatchObject({
      type: expect.stringContaining('feature-disabled'),
      feature: 'webhooks',
    });
    const create = await t
      .http()
      .post('/api/webhooks')
      .set(auth)
      .send({ name: 'x', url: 'https://example.com/hook', events: ['*'] });
    expect(create.status).toBe(403);
    // Other features are untouched.
    expect((await t.http().get('/api/counts').set(auth)).status).toBe(200);

    // Another tenant keeps its own flags.
    const other = await createTenant(t, 'flags-other');
    expect(
      (await t.http().get('/api/webhooks').set('Authorization', `Bearer ${other.admin.token}`)).status,
    ).toBe(200);

    const on = await t.http().put('/api/feature-flags/webhooks').set(auth).send({ enabled: true });
    expect(on.status).toBe(200);
    expect((await t.http().get('/api/webhooks').set(auth)).status).toBe(200);

    const audit = await t.http().get('/api/audit-logs?entityType=feature_flag&entityId=webhooks').set(auth);
    expect(bodyOf<AuditEntryPage>(audit).data).toEqual([
      expect.objectContaining({ before: { enabled: false }, after: { enabled: true } }),
      expect.objectContaining({ before: { enabled: true }, after: { enabled: false } }),
    ]);
  });

  it('checks the permission before the flag, and refuses unknown flags and bad bodies', async () => {
    const analyst = await createUser(t, tenant, ['Analyst']);
    const put = await t
      .http()
      .put('/api/feature-flags/counts')
      .set('Authorization', `Bearer ${analyst.token}`)
      .send({ enabled: false });
    expect(put.status).toBe(403);
    expect(put.body).toMatchObject({ type: expect.stringContaining('forbidden') });

    const unknown = await t.http().put('/api/feature-flags/teleport').set(auth).send({ enabled: true });
    expect(unknown.status).toBe(404);
    const bad = await t.http().put('/api/feature-flags/counts').set(auth).send({ enabled: 'yes' });
    expect(bad.status).toBe(400);
  });

  it('enforces limits race-free: concurrent creates at the limit give exactly the limit', async () => {
    const limited = await createTenant(t, 'limits', { limits: { maxUsers: 3, maxLocations: 4 } });
    const headers = { Authorization: `Bearer ${limited.admin.token}` };
    // The Admin is user 1 of 3: ten concurrent creations leave room for two.
    const users = await Promise.all(
      Array.from({ length: 10 }, () =>
        t
          .http()
          .post('/api/users')
          .set(headers)
          .send({
            email: `u-${randomUUID().slice(0, 8)}@limits.example`,
            password: 'a-long-password-1',
            roleIds: [limited.roles.Analyst],
          }),
      ),
    );
    expect(users.filter((response) => response.status === 201)).toHaveLength(2);
    const refused = users.filter((response) => response.status === 409);
    expect(refused).toHaveLength(8);
    expect(refused[0].body).toMatchObject({ type: expect.stringContaining('limit-exceeded') });

    const locations = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        t
          .http()
          .post('/api/locations')
          .set(headers)
          .send({ site: 'L', name: `bin-${index}` }),
      ),
    );
    expect(locations.filter((response) => response.status === 201)).toHaveLength(4);
    const [{ n }] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from locations where tenant_id = $1`,
      [limited.id],
    );
    expect(n).toBe(4);
  });

  it('keeps flags a platform administrator set in the tenant settings', async () => {
    const admin = await platformAdminToken(t);
    const other = await createTenant(t, 'flags-admin');
    const patched = await t
      .http()
      .patch(`/api/tenants/${other.id}`)
      .set('Authorization', `Bearer ${admin}`)
      .send({ settings: { features: ['webhooks'] } });
    expect(patched.status).toBe(200);
    const flags = await t
      .http()
      .get('/api/feature-flags')
      .set('Authorization', `Bearer ${other.admin.token}`);
    expect(
      Object.fromEntries(bodyOf<FeatureFlagView[]>(flags).map((flag) => [flag.key, flag.enabled])),
    ).toEqual({
      webhooks: true,
      counts: false,
      'api-keys': false,
      export: false,
    });
    const counts = await t.http().get('/api/counts').set('Authorization', `Bearer ${other.admin.token}`);
    expect(counts.status).toBe(403);
    const tenantAudit = await t
      .http()
      .get(`/api/audit-logs?entityType=tenant&action=tenant.updated`)
      .set('Authorization', `Bearer ${other.admin.token}`);
    expect(bodyOf<AuditEntryPage>(tenantAudit).data[0].after?.settings).toEqual({ features: ['webhooks'] });
  });
});
