import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DiscoveryModule } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { bodyOf } from '../support/api-body.js';
import type { ItemView, LocationView, MovementView } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createApiKey, createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';
import { expressRoutes, listRoutes, type RouteInfo } from '../support/routes.js';

/**
 * Attacks every route of the app from tenant B against tenant A: by A's ids in the path, by naming A in
 * X-Tenant-Id, and by A's subdomain, with B's token and with B's API key. Routes are enumerated from the app,
 * so later modules are covered as soon as they register routes.
 */
describe('cross-tenant matrix and permission snapshot', () => {
  let t: TestApp;
  let routes: RouteInfo[];
  let a: TestTenant;
  let b: TestTenant;
  let aIds: string[];
  let aSecrets: string[];
  let bCredentials: Array<{ name: string; headers: Record<string, string> }>;

  beforeAll(async () => {
    t = await createTestApp({
      imports: [DiscoveryModule],
      env: {
        TENANT_SUBDOMAIN_ENABLED: 'true',
        TENANT_BASE_DOMAIN: 'example.test',
        THROTTLE_LIMIT: '100000',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      },
    });
    routes = listRoutes(t.app);
    a = await createTenant(t, 'victim');
    b = await createTenant(t, 'attacker');
    const aUser = await createUser(t, a, ['Manager']);
    const aKey = await createApiKey(t, a, 'Analyst');
    const bKey = await createApiKey(t, b, 'Admin');
    const asA = { Authorization: `Bearer ${a.admin.token}` };
    const item = bodyOf<ItemView>(
      await t
        .http()
        .post('/api/items')
        .set(asA)
        .send({ sku: 'VICTIM-SKU', name: 'victim-item-name', baseUom: 'ea' }),
    );
    const location = bodyOf<LocationView>(
      await t.http().post('/api/locations').set(asA).send({ site: 'victim-site', name: 'victim-bin' }),
    );
    const movement = bodyOf<MovementView>(
      await t
        .http()
        .post('/api/inventory/movements')
        .set(asA)
        .send({
          type: 'receipt',
          lines: [{ itemId: item.id, locationId: location.id, qty: 7 }],
        }),
    );
    const reservation = bodyOf<{ id: string }>(
      await t
        .http()
        .post('/api/inventory/reservations')
        .set(asA)
        .send({ reference: 'victim-order', lines: [{ itemId: item.id, locationId: location.id, qty: 2 }] }),
    );
    aIds = [
      a.id,
      a.admin.id,
      aUser.id,
      aKey.id,
      ...Object.values(a.roles),
      item.id,
      location.id,
      movement.id,
      reservation.id,
    ];
    aSecrets = [
      a.slug,
      a.name,
      a.admin.email,
      aUser.email,
      aKey.key,
      'VICTIM-SKU',
      'victim-item-name',
      'victim-site',
      'victim-bin',
      'victim-count-name',
      'victim-order',
    ];
    bCredentials = [
      { name: "B's token", headers: { Authorization: `Bearer ${b.admin.token}` } },
      { name: "B's API key", headers: { 'X-API-Key': bKey.key } },
    ];
  });
  afterAll(() => t.close());

  /**
   * Bodies for the routes where `{}` would stop at validation (400) before the resource lookup that this matrix
   * is about. Any well-formed body will do: the lookup of A's resource must fail first.
   */
  const VALID_BODIES: Record<string, () => Record<string, unknown>> = {
    'PUT /api/feature-flags/:key': () => ({ enabled: true }),
    'PUT /api/counts/:id/lines': () => ({
      lines: [{ itemId: randomUUID(), locationId: randomUUID(), countedQty: '1' }],
    }),
    'PATCH /api/inventory/reservations/:id': () => ({ expiresAt: null }),
    'PUT /api/inventory/reorder-points/:itemId/:locationId': () => ({ reorderPoint: '1', reorderQty: '1' }),
  };

  function send(route: RouteInfo, path: string, headers: Record<string, string>) {
    const request = t.http()[route.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](path);
    for (const [name, value] of Object.entries(headers)) request.set(name, value);
    if (!['POST', 'PUT', 'PATCH'].includes(route.method)) return request;
    return request.send(VALID_BODIES[`${route.method} ${route.path}`]?.() ?? {});
  }

  /** The response must not carry A's data; the id the attacker put in the path may be echoed back. */
  function expectNoDataOf(body: unknown, pathId?: string): void {
    const { instance: _instance, ...rest } = (body ?? {}) as Record<string, unknown>;
    const text = JSON.stringify(rest);
    for (const secret of [...aSecrets, ...aIds.filter((id) => id !== pathId)]) {
      expect(text).not.toContain(secret);
    }
  }

  it('enumerates every route Express serves', () => {
    const listed = routes.map((route) => `${route.method} ${route.path}`).sort();
    expect(listed).toEqual(expressRoutes(t.app));
    expect(listed.length).toBeGreaterThan(10);
  });

  it('every route declares an access rule (snapshot: changes show up in review)', () => {
    expect(routes.filter((route) => route.rule === undefined).map((route) => route.signature)).toEqual([]);
    expect(routes.map((route) => route.signature)).toMatchSnapshot();
  });

  it("refuses A's resources by id in the path to B (403/404, nothing of A in the body)", async () => {
    const withIds = routes.filter((route) => route.path.includes('/:') && route.rule?.kind !== 'public');
    expect(withIds.length).toBeGreaterThan(0);
    for (const route of withIds) {
      for (const id of aIds) {
        const path = route.path.replace(/:[A-Za-z]+/g, id);
        for (const credential of bCredentials) {
          const response = await send(route, path, credential.headers);
          expect({
            route: `${route.method} ${path}`,
            credential: credential.name,
            status: response.status,
          }).toEqual({
            route: `${route.method} ${path}`,
            credential: credential.name,
            status: response.status === 403 ? 403 : 404,
          });
          expectNoDataOf(response.body, id);
        }
      }
    }
  });

  it("answers B's requests in its own tenant without any data of A", async () => {
    const withoutIds = routes.filter((route) => !route.path.includes('/:') && route.rule?.kind !== 'public');
    for (const route of withoutIds) {
      for (const credential of bCredentials) {
        const response = await send(route, route.path, credential.headers);
        expect({ route: `${route.method} ${route.path}`, status: response.status < 500 }).toEqual({
          route: `${route.method} ${route.path}`,
          status: true,
        });
        expectNoDataOf(response.body);
      }
    }
  });

  it("refuses B's credentials naming tenant A by X-Tenant-Id (id or slug) and by subdomain: 403 on every route", async () => {
    const authenticated = routes.filter(
      (route) => route.rule && !['public', 'public-in-tenant'].includes(route.rule.kind),
    );
    for (const route of authenticated) {
      const path = route.path.replace(/:[A-Za-z]+/g, a.admin.id);
      for (const credential of bCredentials) {
        const namings: Record<string, string>[] = [
          { 'X-Tenant-Id': a.id },
          { 'X-Tenant-Id': a.slug },
          { 'X-Org-Id': a.slug },
          { Host: `${a.slug}.example.test` },
        ];
        for (const naming of namings) {
          const response = await send(route, path, { ...credential.headers, ...naming });
          expect({ route: `${route.method} ${route.path}`, naming, status: response.status }).toEqual({
            route: `${route.method} ${route.path}`,
            naming,
            status: 403,
          });
          expectNoDataOf(response.body, a.admin.id);
        }
      }
    }
  });

  it("does not log B in to A with B's own e-mail and password", async () => {
    const response = await t
      .http()
      .post('/api/auth/login')
      .set('X-Tenant-Id', a.slug)
      .send({ email: b.admin.email, password: b.admin.password });
    expect(response.status).toBe(401);
    expectNoDataOf(response.body);
  });
});
