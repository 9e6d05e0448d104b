import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, login, platformAdminToken } from '../support/tenant-factory.js';

describe('tenants (platform administration)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('creates a tenant with its five default roles and its first Admin, who can log in', async () => {
    const tenant = await createTenant(t, 'acme');
    expect(Object.keys(tenant.roles).sort()).toEqual(['Admin', 'Analyst', 'Auditor', 'Counter', 'Manager']);
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tenant.admin.token}`);
    expect(me.status).toBe(200);
    expect(me.body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug, status: 'active' });
    expect(me.body.user).toMatchObject({ email: tenant.admin.email, platformAdmin: false });
    expect(me.body.permissions).toHaveLength(24);
  });
});
