import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscoveryModule } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { DEFAULT_ROLES, PERMISSIONS } from '../../src/platform/access/permissions.js';
import { bodyOf } from '../support/api-body.js';
import type {
  CountSheetView,
  ItemView,
  LocationView,
  PermissionView,
  RoleView,
  UserView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser, type TestTenant, type TestUser } from '../support/tenant-factory.js';
import { listRoutes } from '../support/routes.js';

interface RepresentativeRequest {
  method: 'get' | 'post' | 'put';
  /** A path, or how to make one (e.g. a fresh submitted count to approve). */
  path: string | (() => Promise<string>);
  body?: () => Record<string, unknown>;
}

/**
 * One representative request per permission that guards a route. A module that adds a route guarded by a
 * new permission must add its request here: the first test fails until it does.
 */
function representatives(
  tenant: TestTenant,
  stock: { itemId: string; locationId: string },
  submittedCount: () => Promise<string>,
): Record<string, RepresentativeRequest> {
  return {
    'webhooks:read': { method: 'get', path: '/api/webhooks' },
    'webhooks:write': {
      method: 'post',
      path: '/api/webhooks',
      body: () => ({ name: 'rep', url: 'http://127.0.0.1:9/hook', events: ['*'] }),
    },
    'counts:read': { method: 'get', path: '/api/counts' },
    'counts:write': {
      method: 'post',
      path: '/api/counts',
      body: () => ({ locationIds: [stock.locationId] }),
    },
    'counts:approve': {
      method: 'post',
      path: async () => `/api/counts/${await submittedCount()}/approve`,
      body: () => ({}),
    },
    'items:read': { method: 'get', path: '/api/items' },
    'items:write': {
      method: 'post',
      path: '/api/items',
      body: () => ({ sku: `sku-${randomUUID()}`, name: 'Representative', baseUom: 'ea' }),
    },
    'locations:read': { method: 'get', path: '/api/locations' },
    'locations:write': {
      method: 'post',
      path: '/api/locations',
      body: () => ({ site: 'Rep', name: `bin-${randomUUID()}` }),
    },
    'inventory:read': { method: 'get', path: '/api/inventory/balances' },
    'reports:read': { method: 'get', path: '/api/inventory/replenishment' },
    'inventory:write': {
      method: 'post',
      path: '/api/inventory/movements',
      body: () => ({ type: 'receipt', lines: [{ ...stock, qty: 1 }] }),
    },
    'users:read': { method: 'get', path: '/api/users' },
    'users:write': {
      method: 'post',
      path: '/api/users',
      body: () => ({ email: `u-${randomUUID()}@rbac.example`, password: 'a-long-password-1', roleIds: [] }),
    },
    'roles:read': { method: 'get', path: '/api/roles' },
    'roles:write': {
      method: 'post',
      path: '/api/roles',
      body: () => ({ name: `role-${randomUUID()}`, permissions: [] }),
    },
    'apikeys:read': { method: 'get', path: '/api/api-keys' },
    'apikeys:write': {
      method: 'post',
      path: '/api/api-keys',
      body: () => ({ name: `key-${randomUUID()}`, roleId: tenant.roles.Counter }),
    },
    'tenant:read': { method: 'get', path: '/api/tenant' },
    'audit:read': { method: 'get', path: '/api/audit-logs' },
    'tenant:export': { method: 'get', path: '/api/tenant/export' },
    'settings:read': { method: 'get', path: '/api/feature-flags' },
    // Switching a flag to its current value: allowed callers change nothing for the roles tested after them.
    'settings:write': { method: 'put', path: '/api/feature-flags/webhooks', body: () => ({ enabled: true }) },
  };
}

function deniedCount(metrics: string, permission: string): number {
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith('rbac_denied_total{') && l.includes(`permission="${permission}"`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('default roles against a representative route of each permission', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let users: Map<string, TestUser>;
  let requests: Record<string, RepresentativeRequest>;

  beforeAll(async () => {
    t = await createTestApp({
      imports: [DiscoveryModule],
      env: { THROTTLE_LIMIT: '100000', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
    tenant = await createTenant(t, 'rbac');
    users = new Map();
    for (const role of DEFAULT_ROLES) users.set(role.name, await createUser(t, tenant, [role.name]));
    const admin = { Authorization: `Bearer ${tenant.admin.token}` };
    const item = await t
      .http()
      .post('/api/items')
      .set(admin)
      .send({ sku: 'RBAC-1', name: 'Item', baseUom: 'ea' })
      .expect(201);
    const location = await t
      .http()
      .post('/api/locations')
      .set(admin)
      .send({ site: 'RBAC', name: 'Bin' })
      .expect(201);
    const locationId = bodyOf<LocationView>(location).id;
    const submittedCount = async () => {
      const sheet = await t
        .http()
        .post('/api/counts')
        .set(admin)
        .send({ locationIds: [locationId] })
        .expect(201);
      const id = bodyOf<CountSheetView>(sheet).id;
      await t.http().post(`/api/counts/${id}/start`).set(admin).expect(200);
      await t.http().post(`/api/counts/${id}/submit`).set(admin).expect(200);
      return id;
    };
    requests = representatives(tenant, { itemId: bodyOf<ItemView>(item).id, locationId }, submittedCount);
  });
  afterAll(() => t.close());

  it('has a representative request for every permission that guards a route', () => {
    const guarding = new Set(
      listRoutes(t.app).flatMap((route) =>
        route.rule?.kind === 'permissions' ? route.rule.permissions : [],
      ),
    );
    expect([...guarding].filter((permission) => !(permission in requests)).sort()).toEqual([]);
    expect(
      Object.keys(requests).every((permission) => (PERMISSIONS as readonly string[]).includes(permission)),
    ).toBe(true);
  });

  for (const role of DEFAULT_ROLES) {
    it(`${role.name}: allowed -> 2xx; denied -> 403, an rbac_audit_log row and a metric increment`, async () => {
      const user = users.get(role.name)!;
      for (const [permission, request] of Object.entries(requests)) {
        const metricsBefore = (await t.http().get('/metrics')).text;
        const [{ before }] = await t.database.query<{ before: number }>(
          `select count(*)::int as before from rbac_audit_log where tenant_id = $1 and user_id = $2 and permission = $3`,
          [tenant.id, user.id, permission],
        );
        const path = typeof request.path === 'string' ? request.path : await request.path();
        const call = t.http()[request.method](path).set('Authorization', `Bearer ${user.token}`);
        const response = await (request.body ? call.send(request.body()) : call);
        const [{ after }] = await t.database.query<{ after: number }>(
          `select count(*)::int as after from rbac_audit_log where tenant_id = $1 and user_id = $2 and permission = $3`,
          [tenant.id, user.id, permission],
        );
        const metricsAfter = (await t.http().get('/metrics')).text;
        const allowed = (role.permissions as readonly string[]).includes(permission);
        const outcome = {
          permission,
          status: response.status,
          auditRows: after - before,
          metricIncrement: deniedCount(metricsAfter, permission) - deniedCount(metricsBefore, permission),
        };
        if (allowed) {
          expect(outcome).toEqual({ permission, status: outcome.status, auditRows: 0, metricIncrement: 0 });
          expect(response.status >= 200 && response.status < 300).toBe(true);
        } else {
          expect(outcome).toEqual({ permission, status: 403, auditRows: 1, metricIncrement: 1 });
          expect(response.body).toMatchObject({ type: 'forbidden', permission });
        }
      }
    });
  }

  it('records who, what and where for a denial', async () => {
    const counter = users.get('Counter')!;
    await t
      .http()
      .get('/api/users')
      .set('Authorization', `Bearer ${counter.token}`)
      .set('X-Request-Id', 'rbac-trace-1')
      .expect(403);
    const [row] = await t.database.query<Record<string, string | null>>(
      `select user_id, api_key_id, method, route, permission, request_id from rbac_audit_log where request_id = 'rbac-trace-1'`,
    );
    expect(row).toEqual({
      user_id: counter.id,
      api_key_id: null,
      method: 'GET',
      route: '/api/users',
      permission: 'users:read',
      request_id: 'rbac-trace-1',
    });
  });

  it('applies a role change to the next request', async () => {
    // An Analyst of its own: the role tests above keep theirs as the default roles define them.
    const analyst = await createUser(t, tenant, ['Analyst']);
    await t.http().get('/api/users').set('Authorization', `Bearer ${analyst.token}`).expect(403);
    await t
      .http()
      .patch(`/api/roles/${tenant.roles.Analyst}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ description: 'changed' })
      .expect(200);
    const custom = await t
      .http()
      .post('/api/roles')
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ name: 'Reader', permissions: ['users:read'] })
      .expect(201);
    await t
      .http()
      .patch(`/api/users/${analyst.id}`)
      .set('Authorization', `Bearer ${tenant.admin.token}`)
      .send({ roleIds: [tenant.roles.Analyst, bodyOf<RoleView>(custom).id] })
      .expect(200);
    await t.http().get('/api/users').set('Authorization', `Bearer ${analyst.token}`).expect(200);
  });

  it('keeps system roles: no deletion, no renaming; unknown permission codes are a 400', async () => {
    const admin = { Authorization: `Bearer ${tenant.admin.token}` };
    const remove = await t.http().delete(`/api/roles/${tenant.roles.Auditor}`).set(admin);
    expect(remove.status).toBe(409);
    expect(remove.body).toMatchObject({ type: 'system-role' });
    const rename = await t.http().patch(`/api/roles/${tenant.roles.Admin}`).set(admin).send({ name: 'Root' });
    expect(rename.status).toBe(409);
    const unknown = await t
      .http()
      .post('/api/roles')
      .set(admin)
      .send({ name: 'Bad', permissions: ['items:fly'] });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toMatchObject({ type: 'validation-failed' });
    const catalog = await t.http().get('/api/permissions').set(admin);
    expect(
      bodyOf<PermissionView[]>(catalog)
        .map((p) => p.code)
        .sort(),
    ).toEqual([...PERMISSIONS].sort());
  });

  it('refuses to delete a custom role still held by a user (409), and deletes it once free', async () => {
    const admin = { Authorization: `Bearer ${tenant.admin.token}` };
    const role = await t
      .http()
      .post('/api/roles')
      .set(admin)
      .send({ name: 'Temp', permissions: ['roles:read'] })
      .expect(201);
    const roleId = bodyOf<RoleView>(role).id;
    const holder = await t
      .http()
      .post('/api/users')
      .set(admin)
      .send({
        email: `holder-${randomUUID()}@rbac.example`,
        password: 'a-long-password-1',
        roleIds: [roleId],
      })
      .expect(201);
    expect((await t.http().delete(`/api/roles/${roleId}`).set(admin)).status).toBe(409);
    await t
      .http()
      .patch(`/api/users/${bodyOf<UserView>(holder).id}`)
      .set(admin)
      .send({ roleIds: [] })
      .expect(200);
    await t.http().delete(`/api/roles/${roleId}`).set(admin).expect(204);
    await t.http().get(`/api/roles/${roleId}`).set(admin).expect(404);
  });
});
