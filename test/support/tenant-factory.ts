import { randomUUID } from 'node:crypto';
import type { TestApp } from './test-app.js';
import { TEST_PLATFORM_ADMIN } from './test-app.js';

/** A tenant created through the platform API, with an Admin user and its token. */
export interface TestTenant {
  id: string;
  slug: string;
  name: string;
  admin: { id: string; email: string; password: string; token: string };
  /** Role ids by name (Admin, Manager, Analyst, Auditor, Counter). */
  roles: Record<string, string>;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/** Logs in and returns the bearer token; fails the test with the response body otherwise. */
export async function login(t: TestApp, tenant: string, email: string, password: string): Promise<string> {
  const response = await t
    .http()
    .post('/api/auth/login')
    .set('X-Tenant-Id', tenant)
    .send({ email, password });
  if (response.status !== 200)
    throw new Error(`login ${email}@${tenant} failed: ${response.status} ${response.text}`);
  return (response.body as { accessToken: string }).accessToken;
}

/** The bootstrap platform administrator's token (tenant `default`). */
export function platformAdminToken(t: TestApp): Promise<string> {
  return login(t, 'default', TEST_PLATFORM_ADMIN.email, TEST_PLATFORM_ADMIN.password);
}

/** Creates a tenant with a unique slug (prefix-xxxx) and logs its Admin in. */
export async function createTenant(
  t: TestApp,
  prefix = 'tenant',
  settings?: Record<string, unknown>,
): Promise<TestTenant> {
  const slug = `${prefix}-${randomUUID().slice(0, 8)}`;
  const adminToken = await platformAdminToken(t);
  const password = `admin-password-${slug}`;
  const email = `admin@${slug}.example`;
  const response = await t
    .http()
    .post('/api/tenants')
    .set('Authorization', `Bearer ${adminToken}`)
    .send({
      name: `Tenant ${slug}`,
      slug,
      admin: { email, password, name: 'Admin' },
      ...(settings && { settings }),
    });
  if (response.status !== 201) throw new Error(`create tenant failed: ${response.status} ${response.text}`);
  const tenant = response.body as { id: string; name: string; adminUserId: string };
  const token = await login(t, slug, email, password);
  const roles = await t.http().get('/api/roles').set('Authorization', `Bearer ${token}`);
  return {
    id: tenant.id,
    slug,
    name: tenant.name,
    admin: { id: tenant.adminUserId, email, password, token },
    roles: Object.fromEntries(
      (roles.body as { data: { name: string; id: string }[] }).data.map((r) => [r.name, r.id]),
    ),
  };
}

/** Creates a user with the given roles in `tenant` (as its Admin) and logs it in. */
export async function createUser(
  t: TestApp,
  tenant: TestTenant,
  roleNames: string[],
  email?: string,
): Promise<TestUser> {
  const address = email ?? `user-${randomUUID().slice(0, 8)}@${tenant.slug}.example`;
  const password = `password-of-${address}`;
  const response = await t
    .http()
    .post('/api/users')
    .set('Authorization', `Bearer ${tenant.admin.token}`)
    .send({ email: address, password, roleIds: roleNames.map((name) => tenant.roles[name]) });
  if (response.status !== 201) throw new Error(`create user failed: ${response.status} ${response.text}`);
  const id = (response.body as { id: string }).id;
  return { id, email: address, password, token: await login(t, tenant.slug, address, password) };
}

/** Creates an API key bound to the role `roleName` in `tenant`; returns its id and the key. */
export async function createApiKey(
  t: TestApp,
  tenant: TestTenant,
  roleName: string,
): Promise<{ id: string; key: string }> {
  const response = await t
    .http()
    .post('/api/api-keys')
    .set('Authorization', `Bearer ${tenant.admin.token}`)
    .send({ name: `key ${roleName}`, roleId: tenant.roles[roleName] });
  if (response.status !== 201) throw new Error(`create api key failed: ${response.status} ${response.text}`);
  return response.body as { id: string; key: string };
}
