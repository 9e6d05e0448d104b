import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { TenantBootstrap } from '../../src/modules/tenants/tenant-bootstrap.service.js';
import { bodyOf } from '../support/api-body.js';
import type { MeResponse, Problem, TenantPage } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, login, platformAdminToken } from '../support/tenant-factory.js';

describe('tenants (platform administration)', () => {
  let t: TestApp;
  let platformToken: string;

  beforeAll(async () => {
    t = await createTestApp();
    platformToken = await platformAdminToken(t);
  });
  afterAll(() => t.close());

  const asPlatform = () => ({ Authorization: `Bearer ${platformToken}` });

  it('creates a tenant with its five default roles and its first Admin, who can log in', async () => {
    const tenant = await createTenant(t, 'acme');
    expect(Object.keys(tenant.roles).sort()).toEqual(['Admin', 'Analyst', 'Auditor', 'Counter', 'Manager']);
    const me = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tenant.admin.token}`);
    expect(me.status).toBe(200);
    const body = bodyOf<MeResponse>(me);
    expect(body.tenant).toMatchObject({ id: tenant.id, slug: tenant.slug, status: 'active' });
    expect(body.user).toMatchObject({ email: tenant.admin.email, platformAdmin: false });
    expect(body.permissions).toHaveLength(24);
  });

  it('lists, reads and updates tenants; a duplicate slug is 409', async () => {
    const tenant = await createTenant(t, 'list');
    const list = await t.http().get('/api/tenants?limit=500').set(asPlatform());
    expect(list.status).toBe(200);
    expect(bodyOf<TenantPage>(list).data.map((x) => x.slug)).toEqual(
      expect.arrayContaining(['default', tenant.slug]),
    );
    const renamed = await t
      .http()
      .patch(`/api/tenants/${tenant.id}`)
      .set(asPlatform())
      .send({ name: 'Renamed' });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ id: tenant.id, name: 'Renamed', slug: tenant.slug });
    const again = await t
      .http()
      .post('/api/tenants')
      .set(asPlatform())
      .send({ name: 'x', slug: tenant.slug });
    expect(again.status).toBe(409);
  });

  it('pages through tenants with limit and cursor', async () => {
    await createTenant(t, 'page');
    const first = await t.http().get('/api/tenants?limit=1').set(asPlatform());
    const body = bodyOf<TenantPage>(first);
    expect(body.data).toHaveLength(1);
    expect(body.nextCursor).toEqual(expect.any(String));
    const second = await t.http().get(`/api/tenants?limit=1&cursor=${body.nextCursor}`).set(asPlatform());
    expect(bodyOf<TenantPage>(second).data[0].id).not.toBe(body.data[0].id);
    const garbled = await t.http().get('/api/tenants?cursor=garbage').set(asPlatform());
    expect(garbled.status).toBe(400);
    expect(bodyOf<Problem>(garbled).type).toBe('invalid-cursor');
  });

  it('validates slug, settings and limits, listing every bad field', async () => {
    const response = await t
      .http()
      .post('/api/tenants')
      .set(asPlatform())
      .send({
        name: '',
        slug: 'Bad Slug',
        settings: { limits: { maxUsers: -1 }, negativeStock: 'maybe', extra: 1 },
      });
    expect(response.status).toBe(400);
    const fields = bodyOf<Problem>(response).errors!.map((e) => e.field);
    expect(fields).toEqual(
      expect.arrayContaining([
        'name',
        'slug',
        'settings.limits.maxUsers',
        'settings.negativeStock',
        'settings.extra',
      ]),
    );
  });

  it('refuses tenant administration to anyone but a platform administrator', async () => {
    const tenant = await createTenant(t, 'nonadmin');
    const response = await t
      .http()
      .post('/api/tenants')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ name: 'Sneaky', slug: 'sneaky' });
    expect(response.status).toBe(403);
    const list = await t.http().get('/api/tenants').set('Authorization', `Bearer ${tenant.admin.token}`);
    expect(list.status).toBe(403);
  });

  it('enforces maxUsers with 409 limit-exceeded, counting erased users out', async () => {
    const tenant = await createTenant(t, 'limited', { limits: { maxUsers: 2 } });
    const second = await createUser(t, tenant, ['Analyst']);
    const third = await t
      .http()
      .post('/api/users')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ email: 'third@limited.example', password: 'third-password-1', roleIds: [] });
    expect(third.status).toBe(409);
    expect(bodyOf<Problem>(third).type).toBe('limit-exceeded');
    await t
      .http()
      .delete(`/api/users/${second.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .expect(204);
    const retry = await t
      .http()
      .post('/api/users')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ email: 'third@limited.example', password: 'third-password-1', roleIds: [] });
    expect(retry.status).toBe(201);
  });

  it('creates the tenant, its roles and its admin in one transaction: a failing admin leaves nothing', async () => {
    const response = await t
      .http()
      .post('/api/tenants')
      .set(asPlatform())
      .send({
        name: 'No room',
        slug: 'no-room',
        settings: { limits: { maxUsers: 0 } },
        admin: { email: 'a@no-room.example', password: 'no-room-password' },
      });
    expect(response.status).toBe(409);
    expect(bodyOf<Problem>(response).type).toBe('limit-exceeded');
    const [{ tenants }] = await t.database.query<{ tenants: string }>(
      `select count(*)::text as tenants from tenants where slug = 'no-room'`,
    );
    expect(tenants).toBe('0');
    const [{ roles }] = await t.database.query<{ roles: string }>(
      `select count(*)::text as roles from roles r where not exists (select 1 from tenants where id = r.tenant_id)`,
    );
    expect(roles).toBe('0');
  });

  it('suspends a tenant (403 on its next request) and reactivates it', async () => {
    const tenant = await createTenant(t, 'suspend');
    await t
      .http()
      .patch(`/api/tenants/${tenant.id}`)
      .set(asPlatform())
      .send({ status: 'suspended' })
      .expect(200);
    const refused = await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tenant.admin.token}`);
    expect(refused.status).toBe(403);
    expect(bodyOf<Problem>(refused).type).toBe('tenant-suspended');
    await t
      .http()
      .patch(`/api/tenants/${tenant.id}`)
      .set(asPlatform())
      .send({ status: 'active' })
      .expect(200);
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${tenant.admin.token}`).expect(200);
  });

  it('lets two tenants each have a user a@x.com and a role Ops', async () => {
    const first = await createTenant(t, 'twin');
    const second = await createTenant(t, 'twin');
    for (const tenant of [first, second]) {
      await createUser(t, tenant, ['Analyst'], 'a@x.com');
      const role = await t
        .http()
        .post('/api/roles')
        .set('Authorization', `Bearer ${tenant.admin.token}`)
        .send({ name: 'Ops', permissions: ['users:read'] });
      expect(role.status).toBe(201);
    }
    const duplicate = await t
      .http()
      .post('/api/users')
      .set('Authorization', `Bearer ${first.admin.token}`)
      .send({ email: 'A@X.com', password: 'another-password', roleIds: [] });
    expect(duplicate.status).toBe(409);
  });
});

describe('bootstrap on first start', () => {
  it('creates tenant default and a platform administrator once, printing a generated password', async () => {
    let printed = '';
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed += String(chunk);
      return true;
    });
    let t: TestApp;
    try {
      t = await createTestApp({
        env: { BOOTSTRAP_ADMIN_PASSWORD: '', BOOTSTRAP_ADMIN_EMAIL: 'root@example.com' },
      });
    } finally {
      stderr.mockRestore();
    }
    try {
      const password = /password: (\S+)/.exec(printed)?.[1];
      expect(password).toBeDefined();
      expect(password!.length).toBeGreaterThanOrEqual(20);
      const token = await login(t, 'default', 'root@example.com', password!);
      await t.http().get('/api/tenants').set('Authorization', `Bearer ${token}`).expect(200);

      // A second start (and any replica) finds the tenant and creates nothing.
      expect(await t.app.get(TenantBootstrap).bootstrap()).toBe(false);
      const [{ tenants, users }] = await t.database.query<{ tenants: string; users: string }>(
        `select (select count(*) from tenants)::text as tenants, (select count(*) from users)::text as users`,
      );
      expect({ tenants, users }).toEqual({ tenants: '1', users: '1' });
    } finally {
      await t.close();
    }
  });
});
