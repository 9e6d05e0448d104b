import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, generateKeyPairSync, randomUUID } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Response } from 'supertest';
import { operationsOf, type DocumentedOperation, type OpenApiDocument } from '../support/openapi-document.js';
import { bodyOf } from '../support/api-body.js';
import type { CreatedApiKeyView, MeResponse, Problem } from '../support/api-types.gen.js';
import { createTestApp, TEST_JWT_SECRET, TEST_PLATFORM_ADMIN, type TestApp } from '../support/test-app.js';
import {
  createApiKey,
  createTenant,
  createUser,
  platformAdminToken,
  type TestTenant,
  type TestUser,
} from '../support/tenant-factory.js';

/**
 * Issue 9, item 1 (auth attacks). test/e2e/auth.e2e-spec.ts already shows each basic attack failing on
 * GET /api/auth/me; this suite extends it:
 * - on every authenticated operation of the OpenAPI document, not one route: a guard that one controller
 *   skipped, or a route that reads the token itself, would show up here;
 * - with the attacks that suite does not try: alg none with a signature kept, a stripped signature, HS256
 *   signed with an RSA public key (the HS/RS confusion) and an RS256 token carrying its own key (jwk, jku),
 *   ES256 and PS256, kid tricks, claims of the wrong type (exp/nbf as strings), a token without exp or jti,
 *   a valid signature over the platform administrator's id in another tenant, over a user of another tenant,
 *   and over privileges the user does not have (claims never grant anything);
 * - principals that stopped being valid: an erased user (its old token and a freshly signed one), a suspended
 *   user, a revoked API key, and an API key that expired while the principal cache held it;
 * - tenant mismatch by header (X-Tenant-Id / X-Org-Id precedence, id and slug spellings) and by subdomain under
 *   TENANT_BASE_DOMAIN (nested labels, letter case, ports, foreign domains), and X-Forwarded-Host, ignored
 *   unless TRUST_PROXY.
 * Every refusal must be a 401 or 403 application/problem+json carrying only problem members, and nothing of
 * the attacked tenant or user. The JWT audience (`aud`) is not used by the service: tokens carry none (checked
 * below), the HS256 secret is the service's own, and the issuer is checked.
 */

const ISSUER = 'inventory-enterprise';
const BASE_DOMAIN = 'example.test';
const PROBLEM_JSON = /^application\/problem\+json(;|$)/;
const PROBLEM_MEMBERS = new Set(['type', 'title', 'status', 'detail', 'instance', 'requestId', 'permission']);

type Headers = Record<string, string>;

const base64url = (value: object | string): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

const now = (): number => Math.floor(Date.now() / 1000);

/** Claims exactly like those of an access token the service issues. */
function claimsFor(userId: string, tenantId: string): Record<string, unknown> {
  return { sub: userId, tid: tenantId, jti: randomUUID(), iss: ISSUER, iat: now(), exp: now() + 3600 };
}

/** A compact JWS with any header, HMAC-SHA256-signed with `secret` (jsonwebtoken refuses some of these). */
function hs256(header: object, claims: object, secret: string | Buffer): string {
  const signingInput = `${base64url(header)}.${base64url(claims)}`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

/** What the service would sign: HS256 with its own secret. */
function genuine(claims: object): string {
  return hs256({ alg: 'HS256', typ: 'JWT' }, claims, TEST_JWT_SECRET);
}

describe('auth attacks', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let counter: TestUser;
  let platformAdminId: string;
  let document: OpenApiDocument;
  let authenticated: DocumentedOperation[];
  /** Strings of tenant A and of its users that no refusal may carry. */
  let secrets: string[];

  beforeAll(async () => {
    t = await createTestApp({
      env: {
        TENANT_SUBDOMAIN_ENABLED: 'true',
        TENANT_BASE_DOMAIN: BASE_DOMAIN,
        THROTTLE_LIMIT: '1000000',
        LOGIN_THROTTLE_LIMIT: '1000',
      },
    });
    a = await createTenant(t, 'victim');
    b = await createTenant(t, 'attacker');
    counter = await createUser(t, a, ['Counter']);
    const platform = await t
      .http()
      .get('/api/auth/me')
      .set('Authorization', `Bearer ${await platformAdminToken(t)}`);
    platformAdminId = bodyOf<MeResponse>(platform).user!.id;
    document = (await t.http().get('/docs-json')).body as OpenApiDocument;
    authenticated = operationsOf(document).filter(
      ({ operation }) => !['public', 'public (in the resolved tenant)'].includes(operation['x-access'] ?? ''),
    );
    expect(authenticated.length).toBeGreaterThan(50);
    secrets = [a.slug, a.name, a.admin.email, counter.email, TEST_PLATFORM_ADMIN.email];
  });
  afterAll(() => t.close());

  function call(operation: DocumentedOperation, headers: Headers) {
    const path = operation.path.replace(/\{[^}]+\}/g, () => randomUUID());
    const request = t.http()[operation.method](path).set(headers);
    return ['post', 'put', 'patch'].includes(operation.method) ? request.send({}) : request;
  }

  /** A refusal: `status`, problem+json with problem members only, nothing of tenant A or its users. */
  function refusal(
    response: Response,
    status: number,
  ): { status: number; problem: boolean; leaks: string[] } {
    const body = (response.body ?? {}) as Record<string, unknown>;
    const { instance: _instance, ...rest } = body;
    const text = JSON.stringify(rest);
    return {
      status: response.status,
      problem:
        PROBLEM_JSON.test(String(response.headers['content-type'])) &&
        body.status === status &&
        Object.keys(body).every((member) => PROBLEM_MEMBERS.has(member)),
      leaks: secrets.filter((secret) => text.includes(secret)),
    };
  }

  /** Sends `headers` to every authenticated operation; returns those not refused with `status` as expected. */
  async function everyRouteRefuses(headers: Headers, status = 401): Promise<unknown[]> {
    const wrong: unknown[] = [];
    for (const operation of authenticated) {
      const outcome = refusal(await call(operation, headers), status);
      if (outcome.status !== status || !outcome.problem || outcome.leaks.length > 0) {
        wrong.push({ route: `${operation.method.toUpperCase()} ${operation.path}`, ...outcome });
      }
    }
    return wrong;
  }

  const bearer = (token: string): Headers => ({ Authorization: `Bearer ${token}` });

  it('accepts the control token on its own tenant (the attacks below differ from it in one flaw each)', async () => {
    const token = genuine(claimsFor(a.admin.id, a.id));
    expect((await t.http().get('/api/auth/me').set(bearer(token))).status).toBe(200);
    const issued = jwt.decode(a.admin.token, { complete: true })!;
    expect(issued.header).toEqual({ alg: 'HS256', typ: 'JWT' });
    // No audience: the service neither sets nor checks `aud` (one secret, one service, checked issuer).
    expect(Object.keys(issued.payload as object).sort()).toEqual(['exp', 'iat', 'iss', 'jti', 'sub', 'tid']);
  });

  describe('forged and tampered tokens: 401 on every authenticated operation', () => {
    const { publicKey: rsaPublic, privateKey: rsaPrivate } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
    });
    const { privateKey: ecPrivate } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rsaPublicPem = rsaPublic.export({ type: 'spki', format: 'pem' }).toString();

    const attacks: Array<[string, () => string]> = [
      [
        'alg none, the genuine HS256 signature kept',
        () => {
          const [, payload, signature] = genuine(claimsFor(a.admin.id, a.id)).split('.');
          return `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.${signature}`;
        },
      ],
      [
        'alg "nOnE" without typ, no signature',
        () => `${base64url({ alg: 'nOnE' })}.${base64url(claimsFor(a.admin.id, a.id))}.`,
      ],
      [
        'alg HS256 with the signature stripped',
        () => genuine(claimsFor(a.admin.id, a.id)).split('.').slice(0, 2).join('.') + '.',
      ],
      ['two segments only', () => genuine(claimsFor(a.admin.id, a.id)).split('.').slice(0, 2).join('.')],
      [
        'HS/RS confusion: HS256 signed with an RSA public key (PEM) as the HMAC secret',
        () => hs256({ alg: 'HS256', typ: 'JWT' }, claimsFor(a.admin.id, a.id), rsaPublicPem),
      ],
      [
        'HS/RS confusion: RS256 signed with a key pair, the header naming HS256',
        () => {
          const token = jwt.sign(claimsFor(a.admin.id, a.id), rsaPrivate, { algorithm: 'RS256' });
          const [, payload, signature] = token.split('.');
          return `${base64url({ alg: 'HS256', typ: 'JWT' })}.${payload}.${signature}`;
        },
      ],
      [
        'RS256 carrying its own public key (jwk header injection)',
        () =>
          jwt.sign(claimsFor(a.admin.id, a.id), rsaPrivate, {
            algorithm: 'RS256',
            header: { alg: 'RS256', jwk: rsaPublic.export({ format: 'jwk' }) } as jwt.JwtHeader,
          }),
      ],
      [
        'RS256 pointing at its own key set (jku) and certificate (x5u)',
        () =>
          jwt.sign(claimsFor(a.admin.id, a.id), rsaPrivate, {
            algorithm: 'RS256',
            header: {
              alg: 'RS256',
              jku: 'https://attacker.example/jwks.json',
              x5u: 'https://attacker.example/cert.pem',
            },
          }),
      ],
      [
        'ES256 with an attacker EC key',
        () => jwt.sign(claimsFor(a.admin.id, a.id), ecPrivate, { algorithm: 'ES256' }),
      ],
      [
        'PS256 with an attacker RSA key',
        () => jwt.sign(claimsFor(a.admin.id, a.id), rsaPrivate, { algorithm: 'PS256' }),
      ],
      [
        'kid path traversal, HMAC with an empty key',
        () => hs256({ alg: 'HS256', kid: '../../../../../../dev/null' }, claimsFor(a.admin.id, a.id), ''),
      ],
      [
        'kid SQL injection, HMAC with the key it selects',
        () => hs256({ alg: 'HS256', kid: "x' UNION SELECT 'key' --" }, claimsFor(a.admin.id, a.id), 'key'),
      ],
      [
        'the secret with a trailing newline',
        () => hs256({ alg: 'HS256', typ: 'JWT' }, claimsFor(a.admin.id, a.id), `${TEST_JWT_SECRET}\n`),
      ],
      [
        'exp as a string far in the future',
        () => genuine({ ...claimsFor(a.admin.id, a.id), exp: String(now() + 1e6) }),
      ],
      ['exp null', () => genuine({ ...claimsFor(a.admin.id, a.id), exp: null })],
      [
        'expired one second ago',
        () => genuine({ ...claimsFor(a.admin.id, a.id), iat: now() - 3600, exp: now() - 1 }),
      ],
      [
        'nbf as a string in the future',
        () => genuine({ ...claimsFor(a.admin.id, a.id), nbf: String(now() + 3600) }),
      ],
      [
        'not valid for another minute (nbf)',
        () => genuine({ ...claimsFor(a.admin.id, a.id), nbf: now() + 60 }),
      ],
      [
        'issuer in other letter case',
        () => genuine({ ...claimsFor(a.admin.id, a.id), iss: 'Inventory-Enterprise' }),
      ],
      ['issuer with a trailing space', () => genuine({ ...claimsFor(a.admin.id, a.id), iss: `${ISSUER} ` })],
      ['issuer as an array', () => genuine({ ...claimsFor(a.admin.id, a.id), iss: [ISSUER] })],
      [
        'no jti',
        () => {
          const { jti: _jti, ...claims } = claimsFor(a.admin.id, a.id);
          return genuine(claims);
        },
      ],
      ['sub that is SQL, not a uuid', () => genuine({ ...claimsFor("' OR '1'='1", a.id) })],
      ['tid that is a slug, not a uuid', () => genuine({ ...claimsFor(a.admin.id, a.slug) })],
      [
        "valid signature: the platform administrator's id in tenant A",
        () => genuine(claimsFor(platformAdminId, a.id)),
      ],
      [
        "valid signature: tenant B's Admin in tenant A (tid forged)",
        () => genuine(claimsFor(b.admin.id, a.id)),
      ],
    ];

    it.each(attacks)('%s', async (_name, token) => {
      expect(await everyRouteRefuses(bearer(token()))).toEqual([]);
    });

    it("refuses a forged tid naming B together with X-Tenant-Id: B for A's user (401, not B's data)", async () => {
      const token = genuine(claimsFor(a.admin.id, b.id));
      secrets.push(b.slug, b.admin.email);
      try {
        expect(await everyRouteRefuses({ ...bearer(token), 'X-Tenant-Id': b.slug })).toEqual([]);
      } finally {
        secrets.splice(-2);
      }
    });

    it('refuses a token without exp: an access token that never expires is not one the service issues', async () => {
      const { exp: _exp, ...claims } = claimsFor(a.admin.id, a.id);
      expect(await everyRouteRefuses(bearer(genuine(claims)))).toEqual([]);
    });

    it('grants nothing for claims: a Counter token claiming platform admin and every permission', async () => {
      const token = genuine({
        ...claimsFor(counter.id, a.id),
        platformAdmin: true,
        permissions: ['users:write', 'platform:admin'],
        roles: ['Admin'],
      });
      const platformRoutes = authenticated.filter(
        ({ operation }) => operation['x-access'] === 'platform-admin',
      );
      const wrong: unknown[] = [];
      for (const operation of platformRoutes) {
        const outcome = refusal(await call(operation, bearer(token)), 403);
        if (outcome.status !== 403 || !outcome.problem) wrong.push({ operation: operation.path, ...outcome });
      }
      expect(wrong).toEqual([]);
      const users = await t.http().post('/api/users').set(bearer(token)).send({});
      expect(refusal(users, 403)).toEqual({ status: 403, problem: true, leaks: [] });
      expect(bodyOf<Problem>(users).permission).toBe('users:write');
    });
  });

  describe('principals that are no longer valid: 401 on every authenticated operation', () => {
    it('an erased user: its own token and a freshly signed one', async () => {
      const user = await createUser(t, a, ['Manager']);
      secrets.push(user.email);
      expect((await t.http().get('/api/auth/me').set(bearer(user.token))).status).toBe(200);
      const erase = await t.http().delete(`/api/users/${user.id}`).set(bearer(a.admin.token));
      expect(erase.status).toBe(204);
      expect(await everyRouteRefuses(bearer(user.token))).toEqual([]);
      expect(await everyRouteRefuses(bearer(genuine(claimsFor(user.id, a.id))))).toEqual([]);
    });

    it('a suspended user: its own token and a freshly signed one', async () => {
      const user = await createUser(t, a, ['Manager']);
      secrets.push(user.email);
      const suspend = await t
        .http()
        .patch(`/api/users/${user.id}`)
        .set(bearer(a.admin.token))
        .send({ status: 'suspended' });
      expect(suspend.status).toBe(200);
      expect(await everyRouteRefuses(bearer(user.token))).toEqual([]);
      expect(await everyRouteRefuses(bearer(genuine(claimsFor(user.id, a.id))))).toEqual([]);
    });

    it('a revoked API key', async () => {
      const key = await createApiKey(t, a, 'Admin');
      expect((await t.http().get('/api/auth/me').set('X-API-Key', key.key)).status).toBe(200);
      const revoke = await t.http().delete(`/api/api-keys/${key.id}`).set(bearer(a.admin.token));
      expect(revoke.status).toBe(204);
      expect(await everyRouteRefuses({ 'X-API-Key': key.key })).toEqual([]);
    });

    it('an API key that expired while the principal cache held it', async () => {
      const expiresAt = new Date(Date.now() + 2500).toISOString();
      const created = await t
        .http()
        .post('/api/api-keys')
        .set(bearer(a.admin.token))
        .send({ name: 'short-lived', roleId: a.roles.Admin, expiresAt });
      expect(created.status).toBe(201);
      const { key } = bodyOf<CreatedApiKeyView>(created);
      // Used while valid: the cache now holds the principal, capped at its expiry.
      expect((await t.http().get('/api/items').set('X-API-Key', key)).status).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 100));
      expect(await everyRouteRefuses({ 'X-API-Key': key })).toEqual([]);
    });

    it('an API key whose expiry passed without it ever being used (not cached)', async () => {
      const key = await createApiKey(t, a, 'Admin');
      await t.database.query(`update api_keys set expires_at = now() - interval '1 second' where id = $1`, [
        key.id,
      ]);
      expect(await everyRouteRefuses({ 'X-API-Key': key.key })).toEqual([]);
    });
  });

  describe('tenant mismatch: 403 tenant-mismatch on every authenticated operation', () => {
    beforeAll(() => {
      secrets.push(b.name, b.admin.email);
    });

    it.each([
      ['X-Tenant-Id: B by slug', (): Headers => ({ 'X-Tenant-Id': b.slug })],
      ['X-Tenant-Id: B by upper-case id', (): Headers => ({ 'X-Tenant-Id': b.id.toUpperCase() })],
      ['X-Tenant-Id: B padded with spaces', (): Headers => ({ 'X-Tenant-Id': `  ${b.slug}  ` })],
      ['X-Org-Id: B by id', (): Headers => ({ 'X-Org-Id': b.id })],
      [
        'X-Tenant-Id: B and X-Org-Id: A (X-Tenant-Id wins)',
        (): Headers => ({ 'X-Tenant-Id': b.slug, 'X-Org-Id': a.slug }),
      ],
      ['Host: the subdomain of B', (): Headers => ({ Host: `${b.slug}.${BASE_DOMAIN}` })],
      ['Host: a label under the subdomain of B', (): Headers => ({ Host: `api.${b.slug}.${BASE_DOMAIN}` })],
      [
        'Host: the subdomain of B in upper case, with a port',
        (): Headers => ({ Host: `${b.slug}.${BASE_DOMAIN}:8443`.toUpperCase() }),
      ],
      [
        "Host: A's subdomain and X-Org-Id: B (a header names the tenant before the host does)",
        (): Headers => ({ Host: `${a.slug}.${BASE_DOMAIN}`, 'X-Org-Id': b.slug }),
      ],
    ] as Array<[string, () => Headers]>)("A's token and A's API key with %s", async (_name, naming) => {
      const key = await createApiKey(t, a, 'Admin');
      for (const credential of [bearer(a.admin.token), { 'X-API-Key': key.key }]) {
        const wrong = await everyRouteRefuses({ ...credential, ...naming() }, 403);
        expect(wrong).toEqual([]);
      }
      const me = await t
        .http()
        .get('/api/auth/me')
        .set({ ...bearer(a.admin.token), ...naming() });
      expect(bodyOf<Problem>(me).type).toBe('tenant-mismatch');
    });

    it.each([
      [
        'X-Tenant-Id: A and X-Org-Id: B (X-Org-Id only counts without X-Tenant-Id)',
        (): Headers => ({ 'X-Tenant-Id': a.slug, 'X-Org-Id': b.slug }),
      ],
      ['Host: a domain other than TENANT_BASE_DOMAIN', (): Headers => ({ Host: `${b.slug}.elsewhere.test` })],
      ['Host: the base domain itself', (): Headers => ({ Host: BASE_DOMAIN })],
      [
        'X-Forwarded-Host: B (ignored: TRUST_PROXY is off)',
        (): Headers => ({ 'X-Forwarded-Host': `${b.slug}.${BASE_DOMAIN}` }),
      ],
    ] as Array<[string, () => Headers]>)('control: %s names no other tenant (200)', async (_name, naming) => {
      const response = await t
        .http()
        .get('/api/auth/me')
        .set({ ...bearer(a.admin.token), ...naming() });
      expect(response.status).toBe(200);
      expect(bodyOf<MeResponse>(response).tenant.id).toBe(a.id);
    });
  });
});

describe('auth attacks behind a trusted proxy (TRUST_PROXY=true)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await createTestApp({
      env: { TENANT_SUBDOMAIN_ENABLED: 'true', TENANT_BASE_DOMAIN: BASE_DOMAIN, TRUST_PROXY: 'true' },
    });
    a = await createTenant(t, 'proxied-a');
    b = await createTenant(t, 'proxied-b');
  });
  afterAll(() => t.close());

  it("refuses A's token when the proxy forwards B's host (403 tenant-mismatch), and serves A's", async () => {
    const auth = { Authorization: `Bearer ${a.admin.token}`, Host: `${a.slug}.${BASE_DOMAIN}` };
    const mismatch = await t
      .http()
      .get('/api/auth/me')
      .set({ ...auth, 'X-Forwarded-Host': `${b.slug}.${BASE_DOMAIN}` });
    expect({ status: mismatch.status, type: bodyOf<Problem>(mismatch).type }).toEqual({
      status: 403,
      type: 'tenant-mismatch',
    });
    expect(String(mismatch.headers['content-type'])).toMatch(PROBLEM_JSON);
    expect(JSON.stringify(mismatch.body)).not.toContain(b.name);
    const own = await t
      .http()
      .get('/api/auth/me')
      .set({ ...auth, 'X-Forwarded-Host': `${a.slug}.${BASE_DOMAIN}` });
    expect(own.status).toBe(200);
  });
});
