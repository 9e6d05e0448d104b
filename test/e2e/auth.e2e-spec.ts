import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Response } from 'supertest';
import { PERMISSIONS } from '../../src/platform/access/permissions.js';
import { createTestApp, TEST_JWT_SECRET, TEST_PLATFORM_ADMIN, type TestApp } from '../support/test-app.js';
import { bodyOf } from '../support/api-body.js';
import type {
  ApiKeyPage,
  CreatedApiKeyView,
  LoginResponse,
  MeResponse,
  Problem,
  RoleView,
  TenantView,
  UserView,
} from '../support/api-types.gen.js';
import {
  createApiKey,
  createTenant,
  createUser,
  login,
  platformAdminToken,
  type TestTenant,
} from '../support/tenant-factory.js';

// ---------------------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------------------

const PROBLEM_JSON = /^application\/problem\+json/;
const ISSUER = 'inventory-enterprise';
const API_KEY_FORMAT = /^iek_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/;

type Headers = Record<string, string>;

const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });
const apiKey = (key: string): Headers => ({ 'X-API-Key': key });

/** Asserts an RFC 9457 problem with this status and type, and returns it. */
function expectProblem(response: Response, status: number, type: string): Problem {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
  const problem = bodyOf<Problem>(response);
  expect(problem).toMatchObject({ type, status });
  return problem;
}

function me(t: TestApp, headers: Headers): Promise<Response> {
  return t.http().get('/api/auth/me').set(headers);
}

function loginRequest(t: TestApp, headers: Headers, email: string, password: string): Promise<Response> {
  return t.http().post('/api/auth/login').set(headers).send({ email, password });
}

async function getRole(t: TestApp, tenant: TestTenant, name: string): Promise<RoleView> {
  const response = await t.http().get(`/api/roles/${tenant.roles[name]}`).set(bearer(tenant.admin.token));
  expect(response.status).toBe(200);
  return bodyOf<RoleView>(response);
}

/** Claims exactly like a real access token of `userId` in `tenantId`, valid for an hour. */
function claimsFor(userId: string, tenantId: string): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return { sub: userId, tid: tenantId, jti: randomUUID(), iss: ISSUER, iat: now, exp: now + 3600 };
}

/** HS256 with the server's secret unless told otherwise: only the claims decide. */
function forge(claims: Record<string, unknown>, secret: string = TEST_JWT_SECRET): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256' });
}

const base64url = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

const compactTenantId = (tenantId: string): string => tenantId.replaceAll('-', '');

// ---------------------------------------------------------------------------------------------------------
// Default settings: header-based resolution, no default tenant
// ---------------------------------------------------------------------------------------------------------

describe('authentication and tenant access', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    // The platform admin logs in once per created tenant; keep the login throttle out of the way here
    // (it has its own describe below).
    t = await createTestApp({ env: { LOGIN_THROTTLE_LIMIT: '1000' } });
    a = await createTenant(t, 'auth-a');
    b = await createTenant(t, 'auth-b');
  });
  afterAll(() => t.close());

  describe('login', () => {
    it('returns a Bearer token for 24 h and the user without any password field', async () => {
      const response = await loginRequest(t, { 'X-Tenant-Id': a.slug }, a.admin.email, a.admin.password);
      expect(response.status).toBe(200);
      const body = bodyOf<LoginResponse>(response);
      expect(Object.keys(body).sort()).toEqual(['accessToken', 'expiresIn', 'tokenType', 'user']);
      expect(body).toMatchObject({ tokenType: 'Bearer', expiresIn: 86400 });
      expect(body.user).toMatchObject({ id: a.admin.id, email: a.admin.email, status: 'active' });
      expect(JSON.stringify(body.user)).not.toMatch(/password|hash/i);

      const claims = jwt.verify(body.accessToken, TEST_JWT_SECRET, {
        algorithms: ['HS256'],
        issuer: ISSUER,
      }) as jwt.JwtPayload;
      expect(claims).toMatchObject({ sub: a.admin.id, tid: a.id });
      expect(typeof claims.jti).toBe('string');
      expect(claims.exp! - claims.iat!).toBe(86400);

      expect((await me(t, bearer(body.accessToken))).status).toBe(200);
    });

    it('answers a wrong password and an unknown e-mail with the same 401', async () => {
      const wrongPassword = await loginRequest(
        t,
        { 'X-Tenant-Id': a.slug },
        a.admin.email,
        'not-the-password',
      );
      const unknownEmail = await loginRequest(
        t,
        { 'X-Tenant-Id': a.slug },
        `nobody-${randomUUID().slice(0, 8)}@${a.slug}.example`,
        'not-the-password',
      );
      const first = expectProblem(wrongPassword, 401, 'unauthorized');
      const second = expectProblem(unknownEmail, 401, 'unauthorized');
      expect(second.type).toBe(first.type);
      expect(second.title).toBe(first.title);
      expect(second.detail).toBe(first.detail);
      expect(wrongPassword.body).not.toHaveProperty('accessToken');
    });

    it("refuses another tenant's credentials: e-mails are per tenant", async () => {
      const response = await loginRequest(t, { 'X-Tenant-Id': b.slug }, a.admin.email, a.admin.password);
      expectProblem(response, 401, 'unauthorized');
    });

    it('requires a tenant (400 tenant-required) when no tenant is named and there is no default', async () => {
      const response = await loginRequest(t, {}, TEST_PLATFORM_ADMIN.email, TEST_PLATFORM_ADMIN.password);
      expectProblem(response, 400, 'tenant-required');
    });

    it('accepts X-Org-Id as an alias of X-Tenant-Id, by slug and by id', async () => {
      for (const reference of [a.slug, a.id]) {
        const response = await loginRequest(t, { 'X-Org-Id': reference }, a.admin.email, a.admin.password);
        expect(response.status).toBe(200);
        const token = bodyOf<LoginResponse>(response).accessToken;
        expect((jwt.decode(token) as jwt.JwtPayload).tid).toBe(a.id);
      }
    });
  });

  describe('JWT attacks are 401 unauthorized', () => {
    const attacks: Array<[string, () => string]> = [
      [
        'alg none (unsigned token with valid claims)',
        () => `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url(claimsFor(a.admin.id, a.id))}.`,
      ],
      [
        'alg none with upper-case spelling',
        () => `${base64url({ alg: 'NONE', typ: 'JWT' })}.${base64url(claimsFor(a.admin.id, a.id))}.`,
      ],
      [
        'a signature made with another secret',
        () => forge(claimsFor(a.admin.id, a.id), 'another-secret-0123456789abcdef0123456789'),
      ],
      [
        'a valid token whose payload was altered (sub swapped)',
        () => {
          const [header, , signature] = forge(claimsFor(a.admin.id, a.id)).split('.');
          return `${header}.${base64url(claimsFor(b.admin.id, b.id))}.${signature}`;
        },
      ],
      [
        'an expired token (exp in the past)',
        () => {
          const now = Math.floor(Date.now() / 1000);
          return forge({ ...claimsFor(a.admin.id, a.id), iat: now - 7200, exp: now - 3600 });
        },
      ],
      [
        'a token not yet valid (nbf in the future)',
        () => forge({ ...claimsFor(a.admin.id, a.id), nbf: Math.floor(Date.now() / 1000) + 3600 }),
      ],
      ['a wrong issuer', () => forge({ ...claimsFor(a.admin.id, a.id), iss: 'someone-else' })],
      [
        'no issuer at all',
        () => {
          const { iss: _iss, ...claims } = claimsFor(a.admin.id, a.id);
          return forge(claims);
        },
      ],
      [
        'HS/RS confusion: an RS256 token signed with an attacker RSA key',
        () => {
          const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
          return jwt.sign(claimsFor(a.admin.id, a.id), privateKey, { algorithm: 'RS256' });
        },
      ],
      [
        'HS512 with the right secret (only HS256 is accepted)',
        () => jwt.sign(claimsFor(a.admin.id, a.id), TEST_JWT_SECRET, { algorithm: 'HS512' }),
      ],
      [
        'a token without the tid claim',
        () => {
          const { tid: _tid, ...claims } = claimsFor(a.admin.id, a.id);
          return forge(claims);
        },
      ],
      [
        'a token without the sub claim',
        () => {
          const { sub: _sub, ...claims } = claimsFor(a.admin.id, a.id);
          return forge(claims);
        },
      ],
      ['a token for a user id that does not exist', () => forge(claimsFor(randomUUID(), a.id))],
      ['a token for a tenant id that does not exist', () => forge(claimsFor(a.admin.id, randomUUID()))],
      ["a token naming tenant B for tenant A's user (tid swapped)", () => forge(claimsFor(a.admin.id, b.id))],
    ];

    it.each(attacks)('rejects %s', async (_name, token) => {
      const response = await me(t, bearer(token()));
      expectProblem(response, 401, 'unauthorized');
    });

    it.each([
      ['"Bearer" without a token', 'Bearer'],
      ['"Bearer " with an empty token', 'Bearer '],
      ['Basic authentication', 'Basic xyz'],
      ['"Bearer not.a.jwt"', 'Bearer not.a.jwt'],
      ['a token without the Bearer scheme', () => `Token ${a.admin.token}`],
      ['a raw token without any scheme', () => a.admin.token],
    ] as Array<[string, string | (() => string)]>)(
      'rejects a malformed Authorization header: %s',
      async (_name, header) => {
        const value = typeof header === 'function' ? header() : header;
        const response = await me(t, { Authorization: value });
        expectProblem(response, 401, 'unauthorized');
      },
    );

    it('rejects a request without any credential', async () => {
      expectProblem(await me(t, { 'X-Tenant-Id': a.slug }), 401, 'unauthorized');
    });

    it('accepts a correctly forged token (control: the attacks above differ only in the flaw)', async () => {
      const response = await me(t, bearer(forge(claimsFor(a.admin.id, a.id))));
      expect(response.status).toBe(200);
      expect(bodyOf<MeResponse>(response).user?.id).toBe(a.admin.id);
    });
  });

  describe('user lifecycle takes effect on the next request', () => {
    it('locks a suspended user out at once and lets them back in when reactivated', async () => {
      const user = await createUser(t, a, ['Analyst']);
      expect((await me(t, bearer(user.token))).status).toBe(200);

      const suspend = await t
        .http()
        .patch(`/api/users/${user.id}`)
        .set(bearer(a.admin.token))
        .send({ status: 'suspended' });
      expect(suspend.status).toBe(200);
      expect(bodyOf<UserView>(suspend).status).toBe('suspended');

      expectProblem(await me(t, bearer(user.token)), 401, 'unauthorized');
      // Login of a suspended user looks exactly like a wrong password.
      const suspendedLogin = expectProblem(
        await loginRequest(t, { 'X-Tenant-Id': a.slug }, user.email, user.password),
        401,
        'unauthorized',
      );
      const wrongPassword = expectProblem(
        await loginRequest(t, { 'X-Tenant-Id': a.slug }, user.email, 'not-the-password'),
        401,
        'unauthorized',
      );
      expect(suspendedLogin.detail).toBe(wrongPassword.detail);

      const reactivate = await t
        .http()
        .patch(`/api/users/${user.id}`)
        .set(bearer(a.admin.token))
        .send({ status: 'active' });
      expect(reactivate.status).toBe(200);
      const again = await me(t, bearer(user.token));
      expect(again.status).toBe(200);
      expect(bodyOf<MeResponse>(again).user?.id).toBe(user.id);
    });

    it('erases a user (GDPR): token 401, personal data null, e-mail free for a new user', async () => {
      const user = await createUser(t, a, ['Analyst']);
      expect((await me(t, bearer(user.token))).status).toBe(200);

      const erase = await t.http().delete(`/api/users/${user.id}`).set(bearer(a.admin.token));
      expect(erase.status).toBe(204);

      expectProblem(await me(t, bearer(user.token)), 401, 'unauthorized');
      expectProblem(
        await loginRequest(t, { 'X-Tenant-Id': a.slug }, user.email, user.password),
        401,
        'unauthorized',
      );

      const erased = await t.http().get(`/api/users/${user.id}`).set(bearer(a.admin.token));
      expect(erased.status).toBe(200);
      expect(bodyOf<UserView>(erased)).toMatchObject({
        id: user.id,
        email: null,
        name: null,
        status: 'deleted',
        roleIds: [],
      });

      const reused = await createUser(t, a, ['Counter'], user.email);
      expect(reused.id).not.toBe(user.id);
      const meReused = await me(t, bearer(reused.token));
      expect(meReused.status).toBe(200);
      expect(bodyOf<MeResponse>(meReused).user).toMatchObject({ id: reused.id, email: user.email });
    });
  });

  describe('API keys', () => {
    it('shows the key once at creation and never in the list', async () => {
      const created = await t
        .http()
        .post('/api/api-keys')
        .set(bearer(a.admin.token))
        .send({ name: 'ERP integration', roleId: a.roles.Analyst });
      expect(created.status).toBe(201);
      const body = bodyOf<CreatedApiKeyView>(created);
      expect(body.key).toMatch(API_KEY_FORMAT);
      expect(body.key.startsWith(`iek_${compactTenantId(a.id)}_`)).toBe(true);
      expect(body).toMatchObject({ name: 'ERP integration', roleId: a.roles.Analyst, revokedAt: null });
      expect(body).not.toHaveProperty('keyHash');

      const list = await t.http().get('/api/api-keys').set(bearer(a.admin.token));
      expect(list.status).toBe(200);
      const keys = bodyOf<ApiKeyPage>(list).data;
      const listed = keys.find((key) => key.id === body.id);
      expect(listed).toMatchObject({ id: body.id, name: 'ERP integration', prefix: body.prefix });
      for (const key of keys) {
        expect(Object.keys(key).filter((field) => /hash|secret|^key$/i.test(field))).toEqual([]);
      }
      const secret = body.key.split('_').slice(2).join('_');
      expect(JSON.stringify(list.body)).not.toContain(body.key);
      expect(JSON.stringify(list.body)).not.toContain(secret);
    });

    it("authenticates with exactly its role's permissions (Analyst: no users:read, no users:write)", async () => {
      const key = await createApiKey(t, a, 'Analyst');
      const analyst = await getRole(t, a, 'Analyst');

      const whoAmI = await me(t, apiKey(key.key));
      expect(whoAmI.status).toBe(200);
      expect(bodyOf<MeResponse>(whoAmI).permissions).toEqual([...analyst.permissions].sort());

      const read = await t.http().get('/api/users').set(apiKey(key.key));
      expect(expectProblem(read, 403, 'forbidden').permission).toBe('users:read');
      const write = await t
        .http()
        .post('/api/users')
        .set(apiKey(key.key))
        .send({ email: `via-key@${a.slug}.example`, password: 'long-enough-password', roleIds: [] });
      expect(expectProblem(write, 403, 'forbidden').permission).toBe('users:write');
    });

    it('grants what the role has: an Auditor key may list users but not create one', async () => {
      const key = await createApiKey(t, a, 'Auditor');
      expect((await t.http().get('/api/users').set(apiKey(key.key))).status).toBe(200);
      const write = await t
        .http()
        .post('/api/users')
        .set(apiKey(key.key))
        .send({ email: `via-auditor@${a.slug}.example`, password: 'long-enough-password', roleIds: [] });
      expect(expectProblem(write, 403, 'forbidden').permission).toBe('users:write');
    });

    it('revokes a key: its next request is 401', async () => {
      const key = await createApiKey(t, a, 'Analyst');
      expect((await me(t, apiKey(key.key))).status).toBe(200);

      const revoke = await t.http().delete(`/api/api-keys/${key.id}`).set(bearer(a.admin.token));
      expect(revoke.status).toBe(204);

      expectProblem(await me(t, apiKey(key.key)), 401, 'unauthorized');
      const list = await t.http().get('/api/api-keys').set(bearer(a.admin.token));
      const listed = bodyOf<ApiKeyPage>(list).data.find((k) => k.id === key.id);
      expect(listed?.revokedAt).toEqual(expect.any(String));
    });

    it('rejects expiresAt in the past with 400 naming the field', async () => {
      const response = await t
        .http()
        .post('/api/api-keys')
        .set(bearer(a.admin.token))
        .send({ name: 'stale', roleId: a.roles.Analyst, expiresAt: '2020-01-01T00:00:00Z' });
      const problem = expectProblem(response, 400, 'validation-failed');
      expect(problem.errors?.map((error) => error.field)).toEqual(['expiresAt']);
    });

    it('accepts expiresAt in the future and the key works until then', async () => {
      const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const response = await t
        .http()
        .post('/api/api-keys')
        .set(bearer(a.admin.token))
        .send({ name: 'expiring', roleId: a.roles.Analyst, expiresAt });
      expect(response.status).toBe(201);
      const body = bodyOf<CreatedApiKeyView>(response);
      expect(body.expiresAt).toBe(expiresAt);
      expect((await me(t, apiKey(body.key))).status).toBe(200);
    });

    it.each([
      ['garbage', () => 'not-an-api-key'],
      ['the bare prefix', () => 'iek_'],
      ['a truncated key', () => `iek_${compactTenantId(a.id)}_tooshort`],
      ['a well-formed key nobody issued', () => `iek_${compactTenantId(a.id)}_${'A'.repeat(43)}`],
      [
        'a well-formed key of a tenant that does not exist',
        () => `iek_${compactTenantId(randomUUID())}_${'A'.repeat(43)}`,
      ],
      ['an empty header', () => ''],
    ] as Array<[string, () => string]>)('rejects %s with 401', async (_name, key) => {
      expectProblem(await me(t, apiKey(key())), 401, 'unauthorized');
    });

    it('rejects a request carrying both X-API-Key and Authorization with 401', async () => {
      const key = await createApiKey(t, a, 'Admin');
      const response = await me(t, { ...apiKey(key.key), ...bearer(a.admin.token) });
      expectProblem(response, 401, 'unauthorized');
    });
  });

  describe('tenant rules', () => {
    it.each([
      ['X-Tenant-Id by id', (): Headers => ({ 'X-Tenant-Id': b.id })],
      ['X-Tenant-Id by slug', (): Headers => ({ 'X-Tenant-Id': b.slug })],
      ['X-Tenant-Id by upper-case slug', (): Headers => ({ 'X-Tenant-Id': b.slug.toUpperCase() })],
      ['X-Org-Id by slug', (): Headers => ({ 'X-Org-Id': b.slug })],
    ] as Array<[string, () => Headers]>)(
      "refuses tenant A's token in tenant B named by %s with 403 tenant-mismatch",
      async (_name, naming) => {
        const response = await me(t, { ...bearer(a.admin.token), ...naming() });
        expectProblem(response, 403, 'tenant-mismatch');
      },
    );

    it("refuses tenant A's API key in tenant B with 403 tenant-mismatch", async () => {
      const key = await createApiKey(t, a, 'Admin');
      expectProblem(await me(t, { ...apiKey(key.key), 'X-Tenant-Id': b.id }), 403, 'tenant-mismatch');
      expectProblem(await me(t, { ...apiKey(key.key), 'X-Tenant-Id': b.slug }), 403, 'tenant-mismatch');
      // control: the same key naming its own tenant is fine
      expect((await me(t, { ...apiKey(key.key), 'X-Tenant-Id': a.slug })).status).toBe(200);
    });

    it("does not let a tenant Admin read another tenant's user by id (404 with own tenant)", async () => {
      const response = await t.http().get(`/api/users/${b.admin.id}`).set(bearer(a.admin.token));
      expectProblem(response, 404, 'not-found');
    });

    it.each([
      ['an unknown slug', () => 'no-such-tenant'],
      ['an unknown id', () => randomUUID()],
    ] as Array<[string, () => string]>)(
      'answers X-Tenant-Id with %s with 404 tenant-not-found',
      async (_name, reference) => {
        const response = await me(t, { ...bearer(a.admin.token), 'X-Tenant-Id': reference() });
        expectProblem(response, 404, 'tenant-not-found');
      },
    );

    it('locks a suspended tenant out (403 tenant-suspended for tokens, API keys and login)', async () => {
      const tenant = await createTenant(t, 'auth-susp');
      const key = await createApiKey(t, tenant, 'Analyst');
      const platform = await platformAdminToken(t);

      const suspend = await t
        .http()
        .patch(`/api/tenants/${tenant.id}`)
        .set(bearer(platform))
        .send({ status: 'suspended' });
      expect(suspend.status).toBe(200);
      expect(bodyOf<TenantView>(suspend).status).toBe('suspended');

      expectProblem(await me(t, bearer(tenant.admin.token)), 403, 'tenant-suspended');
      expectProblem(await me(t, apiKey(key.key)), 403, 'tenant-suspended');
      expectProblem(
        await loginRequest(t, { 'X-Tenant-Id': tenant.slug }, tenant.admin.email, tenant.admin.password),
        403,
        'tenant-suspended',
      );
      // other tenants are unaffected
      expect((await me(t, bearer(a.admin.token))).status).toBe(200);

      const reactivate = await t
        .http()
        .patch(`/api/tenants/${tenant.id}`)
        .set(bearer(platform))
        .send({ status: 'active' });
      expect(reactivate.status).toBe(200);
      expect((await me(t, bearer(tenant.admin.token))).status).toBe(200);
    });

    it('lets only a platform administrator suspend a tenant', async () => {
      const response = await t
        .http()
        .patch(`/api/tenants/${b.id}`)
        .set(bearer(a.admin.token))
        .send({ status: 'suspended' });
      expectProblem(response, 403, 'forbidden');
      expect((await me(t, bearer(b.admin.token))).status).toBe(200);
    });
  });

  describe('GET /api/auth/me', () => {
    it('describes a user: user, no API key, tenant, roles and sorted permissions', async () => {
      const response = await me(t, bearer(a.admin.token));
      expect(response.status).toBe(200);
      const body = bodyOf<MeResponse>(response);
      expect(Object.keys(body).sort()).toEqual(['apiKeyId', 'permissions', 'roles', 'tenant', 'user']);
      expect(body.user).toMatchObject({ id: a.admin.id, email: a.admin.email, status: 'active' });
      expect(JSON.stringify(body.user)).not.toMatch(/password|hash/i);
      expect(body.apiKeyId).toBeNull();
      expect(body.tenant).toMatchObject({ id: a.id, slug: a.slug, status: 'active' });
      expect(body.roles.map((role) => role.name)).toEqual(['Admin']);
      expect(body.permissions).toEqual([...PERMISSIONS].sort());
    });

    it("describes an API key: no user, its id, and its one role's permissions", async () => {
      const key = await createApiKey(t, a, 'Counter');
      const counter = await getRole(t, a, 'Counter');
      const response = await me(t, apiKey(key.key));
      expect(response.status).toBe(200);
      const body = bodyOf<MeResponse>(response);
      expect(body.user).toBeNull();
      expect(body.apiKeyId).toBe(key.id);
      expect(body.tenant).toMatchObject({ id: a.id, slug: a.slug });
      expect(body.roles.map((role) => ({ id: role.id, name: role.name }))).toEqual([
        { id: a.roles.Counter, name: 'Counter' },
      ]);
      expect(body.permissions).toEqual([...counter.permissions].sort());
    });
  });
});

// ---------------------------------------------------------------------------------------------------------
// ALLOW_DEFAULT_TENANT=true
// ---------------------------------------------------------------------------------------------------------

describe('default tenant (ALLOW_DEFAULT_TENANT=true)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ env: { ALLOW_DEFAULT_TENANT: 'true' } });
  });
  afterAll(() => t.close());

  it('logs in to the default tenant when no tenant is named', async () => {
    const response = await loginRequest(t, {}, TEST_PLATFORM_ADMIN.email, TEST_PLATFORM_ADMIN.password);
    expect(response.status).toBe(200);
    const token = bodyOf<LoginResponse>(response).accessToken;
    const whoAmI = await me(t, bearer(token));
    expect(whoAmI.status).toBe(200);
    expect(bodyOf<MeResponse>(whoAmI).tenant.slug).toBe('default');
    expect(bodyOf<MeResponse>(whoAmI).user).toMatchObject({ email: TEST_PLATFORM_ADMIN.email });
  });

  it('never falls back to the default tenant for a named but unknown tenant', async () => {
    const response = await loginRequest(
      t,
      { 'X-Tenant-Id': 'no-such-tenant' },
      TEST_PLATFORM_ADMIN.email,
      TEST_PLATFORM_ADMIN.password,
    );
    expectProblem(response, 404, 'tenant-not-found');
  });
});

// ---------------------------------------------------------------------------------------------------------
// TENANT_SUBDOMAIN_ENABLED=true
// ---------------------------------------------------------------------------------------------------------

describe('tenant by subdomain (TENANT_SUBDOMAIN_ENABLED=true)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ env: { TENANT_SUBDOMAIN_ENABLED: 'true' } });
    a = await createTenant(t, 'sub-a');
    b = await createTenant(t, 'sub-b');
  });
  afterAll(() => t.close());

  it("accepts tenant A's token on A's subdomain", async () => {
    const response = await me(t, { ...bearer(a.admin.token), Host: `${a.slug}.example.test` });
    expect(response.status).toBe(200);
    expect(bodyOf<MeResponse>(response).tenant.id).toBe(a.id);
  });

  it("refuses tenant A's token on B's subdomain with 403 tenant-mismatch", async () => {
    const response = await me(t, { ...bearer(a.admin.token), Host: `${b.slug}.example.test` });
    expectProblem(response, 403, 'tenant-mismatch');
  });

  it("refuses tenant A's API key on B's subdomain with 403 tenant-mismatch", async () => {
    const key = await createApiKey(t, a, 'Analyst');
    const response = await me(t, { ...apiKey(key.key), Host: `${b.slug}.example.test` });
    expectProblem(response, 403, 'tenant-mismatch');
  });

  it('answers an unknown subdomain with 404 tenant-not-found', async () => {
    const response = await me(t, { ...bearer(a.admin.token), Host: 'no-such-tenant.example.test' });
    expectProblem(response, 404, 'tenant-not-found');
  });

  it('logs in to the tenant of the subdomain without any header', async () => {
    const response = await loginRequest(
      t,
      { Host: `${a.slug}.example.test` },
      a.admin.email,
      a.admin.password,
    );
    expect(response.status).toBe(200);
    expect((jwt.decode(bodyOf<LoginResponse>(response).accessToken) as jwt.JwtPayload).tid).toBe(a.id);
  });

  it('lets X-Tenant-Id win over the subdomain', async () => {
    const ownHeader = await me(t, {
      ...bearer(a.admin.token),
      Host: `${b.slug}.example.test`,
      'X-Tenant-Id': a.slug,
    });
    expect(ownHeader.status).toBe(200);
    const otherHeader = await me(t, {
      ...bearer(a.admin.token),
      Host: `${a.slug}.example.test`,
      'X-Tenant-Id': b.slug,
    });
    expectProblem(otherHeader, 403, 'tenant-mismatch');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Login brute force (LOGIN_THROTTLE_LIMIT=3)
// ---------------------------------------------------------------------------------------------------------

describe('login brute-force protection (LOGIN_THROTTLE_LIMIT=3)', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({ env: { LOGIN_THROTTLE_LIMIT: '3' } });
    tenant = await createTenant(t, 'brute');
  });
  afterAll(() => t.close());

  /** A user created without logging in, so no login attempt has been counted for its e-mail yet. */
  async function freshUser(): Promise<{ email: string; password: string }> {
    const email = `victim-${randomUUID().slice(0, 8)}@${tenant.slug}.example`;
    const password = `password-of-${email}`;
    const response = await t
      .http()
      .post('/api/users')
      .set(bearer(tenant.admin.token))
      .send({ email, password, roleIds: [tenant.roles.Analyst] });
    expect(response.status).toBe(201);
    return { email, password };
  }

  const attempt = (email: string, password: string): Promise<Response> =>
    loginRequest(t, { 'X-Tenant-Id': tenant.slug }, email, password);

  it('answers the 4th wrong attempt for one e-mail with 429 rate-limited and a numeric Retry-After', async () => {
    const victim = await freshUser();
    for (let i = 0; i < 3; i++) {
      expectProblem(await attempt(victim.email, `wrong-${i}`), 401, 'unauthorized');
    }
    const blocked = await attempt(victim.email, 'wrong-3');
    expectProblem(blocked, 429, 'rate-limited');
    const retryAfter = (blocked.headers as Record<string, string | undefined>)['retry-after'];
    expect(retryAfter).toMatch(/^\d+$/);
    expect(Number(retryAfter)).toBeGreaterThan(0);

    // While blocked, even the right password does not get through (no oracle for the attacker).
    expectProblem(await attempt(victim.email, victim.password), 429, 'rate-limited');
  });

  it('counts the e-mail regardless of letter case', async () => {
    const victim = await freshUser();
    const capitalized = victim.email.charAt(0).toUpperCase() + victim.email.slice(1);
    expectProblem(await attempt(victim.email, 'wrong-0'), 401, 'unauthorized');
    expectProblem(await attempt(victim.email.toUpperCase(), 'wrong-1'), 401, 'unauthorized');
    expectProblem(await attempt(capitalized, 'wrong-2'), 401, 'unauthorized');
    expectProblem(await attempt(victim.email, 'wrong-3'), 429, 'rate-limited');
  });

  it('keeps other e-mails of the same client unaffected (still 401, and a right password logs in)', async () => {
    const victim = await freshUser();
    for (let i = 0; i < 4; i++) await attempt(victim.email, `wrong-${i}`);
    expectProblem(await attempt(victim.email, 'wrong-again'), 429, 'rate-limited');

    const bystander = await freshUser();
    expectProblem(await attempt(bystander.email, 'wrong'), 401, 'unauthorized');
    const ok = await attempt(bystander.email, bystander.password);
    expect(ok.status).toBe(200);
    expect(await login(t, tenant.slug, tenant.admin.email, tenant.admin.password)).toEqual(
      expect.any(String),
    );
  });
});
