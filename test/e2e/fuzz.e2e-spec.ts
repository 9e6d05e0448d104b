import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Response } from 'supertest';
import { FEATURE_KEYS } from '../../src/modules/feature-flags/feature-catalog.js';
import { hostile, hostileString, NASTY_STRINGS, shaped, toJson } from '../support/openapi-arbitraries.js';
import {
  type DocumentedOperation,
  type OpenApiDocument,
  operationsOf,
  type Schema,
} from '../support/openapi-document.js';
import { bodyOf } from '../support/api-body.js';
import type {
  CountSheetView,
  ItemView,
  LocationView,
  MovementView,
  Problem,
  RoleView,
  WebhookWithSecretView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import {
  createApiKey,
  createTenant,
  createUser,
  platformAdminToken,
  type TestTenant,
} from '../support/tenant-factory.js';

/**
 * Issue 9, item 1 (fuzz): requests generated from the service's own OpenAPI document (GET /docs-json) to every
 * operation, with valid credentials (tenant A's Admin token, sometimes its Admin API key; the platform
 * administrator's token on platform routes), and with fast-check generating everything else: bodies shaped
 * like the operation's schema, the same shapes with hostile parts (wrong types, nulls, huge numbers, deep
 * nesting, long and odd unicode strings, SQL-ish strings, missing and extra fields), arbitrary JSON, malformed
 * JSON, content-type and content-encoding mismatches, bodies over the limit; query strings (declared
 * parameters with shaped or hostile values, repeated and unknown parameters, broken percent-encoding); path
 * ids (existing ids of the tenant, random uuids, non-uuids, SQL-ish strings, broken percent-encoding); odd
 * headers (Idempotency-Key of odd lengths and characters, X-Tenant-Id / X-Org-Id garbage or naming another
 * tenant, a stray X-API-Key, odd Accept and X-Request-Id).
 *
 * Properties, for every request:
 * 1. no response is a 5xx;
 * 2. every 4xx is application/problem+json with `type`, `title`, `detail` and the response's own `status`;
 * 3. a request answered with a 4xx wrote nothing: the count of rows and the newest row version (max xmin,
 *    which also catches an UPDATE) of every table in schema public are the same before and after it, read on
 *    the owner connection (which sees every tenant). Two writes are legitimate and allowed, narrowly:
 *    - rbac_audit_log: one new row for a 403 `forbidden` denial (docs/api-contract.md: every denial is recorded), and only
 *      then;
 *    - api_keys: `last_used_at` of the key that authenticated the request (the auth_api_key() function
 *      refreshes it at most once a minute, whatever the answer): a newer row version in api_keys, with the
 *      same row count, is allowed when the request carried the valid API key, and only then.
 *    Requests answered 2xx legitimately write; the snapshot is re-read after them.
 *
 * Runtime: RUNS_PER_OPERATION requests per operation (about 1,900 in all), sequential, each between two
 * snapshot queries on one persistent owner connection (t.database.query would open a connection per query,
 * 4,000 of them); about 20 s on the idle 2-core machine, under a minute when it is busy. Fewer runs where a
 * request is heavy or unrepeatable, each said below. Seeded: the seed is random unless FUZZ_SEED is set, and
 * every failure message names it (replay: FUZZ_SEED=<seed> npm test -- test/e2e/fuzz.e2e-spec.ts). Failures
 * are not shrunk (every shrinking step is another request against changed state); the failing request is
 * printed as it was sent (long parts cut). FUZZ_LOG=<file> appends each operation's time and status counts to that file.
 *
 * After the property run, "regressions the fuzz found" pins each 5xx it found, fixed in src.
 */

const RUNS_PER_OPERATION = 30;

/** Operations that get fewer runs, and why. */
const FEWER_RUNS: Record<string, number> = {
  // Starts pg_dump of the whole database in the background; the fuzz waits for it after each run, so that no
  // background write lands in another request's snapshot. Most runs would be 409 backup-in-progress anyway.
  // (POST /api/backups/{id}/verify gets its full runs, but never an existing id: that restores a scratch copy.)
  'post /api/backups': 3,
  // Every run verifies a password with argon2id (slow on purpose), unknown e-mails included.
  'post /api/auth/login': 12,
  // A shaped body creates a tenant with its five roles and an argon2id-hashed first Admin.
  'post /api/tenants': 12,
  // Streams the whole tenant as NDJSON from one snapshot.
  'get /api/tenant/export': 8,
};

const PROBLEM_JSON = /^application\/problem\+json(;|$)/;

/**
 * Longest value (characters, before percent-encoding) put into a path segment or query parameter. Node's HTTP
 * parser refuses a request line and headers over 16 KB itself (431, before Express), so longer ones would test
 * Node, not the service.
 */
const MAX_URL_VALUE = 400;
const MAX_QUERY = 12_000;

/** encodeURIComponent, which throws on a lone surrogate: those become U+FFFD first. */
function encode(value: string): string {
  return encodeURIComponent(
    value
      .slice(0, MAX_URL_VALUE)
      .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'),
  );
}

type Credential = 'token' | 'api-key';

interface BodyCase {
  kind: string;
  contentType?: string;
  contentEncoding?: string;
  text: string;
}

interface RequestCase {
  path: string;
  query: string;
  body?: BodyCase;
  credential: Credential;
  headers: Record<string, string>;
}

interface Snapshot {
  [table: string]: [rows: number, newestVersion: number];
}

/** Characters Node's HTTP client accepts in a header value: tab, printable ASCII and latin-1. */
const headerCharacter = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constant(0x09))
  .map((code) => String.fromCharCode(code));
const headerValue = (maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: headerCharacter, maxLength });

/** Percent-encoding that decodes to nothing valid, sent raw in paths and query strings. */
const BROKEN_ENCODINGS = ['%', '%zz', '%E0%A4%A', '%C0%AF', '%FF%FE', '%00', '%2e%2e', '%2F', '..', '%25'];

function seedOf(): number {
  const configured = process.env.FUZZ_SEED;
  return configured ? Number(configured) : Math.floor(Math.random() * 2 ** 31);
}

describe('fuzz: every operation of the OpenAPI document', () => {
  const seed = seedOf();
  let t: TestApp;
  let owner: pg.Client;
  let backupDirectory: string;
  let document: OpenApiDocument;
  let a: TestTenant;
  let b: TestTenant;
  let aKey: string;
  let platformToken: string;
  let victimTenantId: string;
  /** Existing ids of tenant A per path template, to get requests past the lookup into the service. */
  let knownIdsByPath: Array<[RegExp, string[]]>;
  let knownIds: string[];
  let idsByField: Record<string, string[]>;
  let snapshotSql: string;
  /** Seeded rows of tenant A the regression tests use (before the fuzz may delete them). */
  let seeded: { item: string; location: string; startedCount: string; role: string };

  beforeAll(async () => {
    backupDirectory = mkdtempSync(join(tmpdir(), 'fuzz-backups-'));
    t = await createTestApp({
      env: {
        THROTTLE_LIMIT: '1000000',
        LOGIN_THROTTLE_LIMIT: '1000000',
        // Keeps the fuzz off the network: generated webhook URLs are not resolved by DNS.
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        BACKUP_DIR: backupDirectory,
        // GET /api/events?wait= with nothing to read waits at most this long (a generated wait may be 30 s).
        EVENT_FEED_MAX_WAIT_S: '1',
      },
    });
    owner = new pg.Client({ connectionString: t.database.url });
    await owner.connect();
    document = (await t.http().get('/docs-json')).body as OpenApiDocument;

    a = await createTenant(t, 'fuzz-a');
    b = await createTenant(t, 'fuzz-b');
    platformToken = await platformAdminToken(t);
    aKey = (await createApiKey(t, a, 'Admin')).key;
    const victim = await createTenant(t, 'fuzz-victim');
    victimTenantId = victim.id;
    const sacrificialUser = await createUser(t, a, ['Counter']);
    const sacrificialKey = await createApiKey(t, a, 'Analyst');

    const asA = (method: 'post' | 'put', path: string, body: object) =>
      t.http()[method](path).set('Authorization', `Bearer ${a.admin.token}`).send(body);
    const created = async (method: 'post' | 'put', path: string, body: object): Promise<string> => {
      const response = await asA(method, path, body);
      if (response.status >= 300) throw new Error(`${path}: ${response.status} ${response.text}`);
      // Every POST here answers the created resource (201) with its id.
      return bodyOf<
        ItemView | LocationView | MovementView | CountSheetView | RoleView | WebhookWithSecretView
      >(response).id;
    };
    const items = [
      await created('post', '/api/items', { sku: 'F-1', name: 'Fuzz one', baseUom: 'ea' }),
      await created('post', '/api/items', {
        sku: 'F-2',
        name: 'Fuzz lots',
        baseUom: 'kg',
        lotTracked: true,
        uoms: [{ code: 'bag', factor: '25' }],
      }),
      await created('post', '/api/items', { sku: 'F-3', name: 'Fuzz three', baseUom: 'ea' }),
    ];
    const locations = [
      await created('post', '/api/locations', { site: 'Fuzz', name: 'L1' }),
      await created('post', '/api/locations', { site: 'Fuzz', name: 'L2', code: 'L2' }),
    ];
    const movement = await created('post', '/api/inventory/movements', {
      type: 'receipt',
      lines: [
        { itemId: items[0], locationId: locations[0], qty: 10 },
        { itemId: items[1], locationId: locations[1], qty: '2.5', lotCode: 'LOT-1' },
      ],
    });
    const counts = [
      await created('post', '/api/counts', { name: 'draft' }),
      await created('post', '/api/counts', { name: 'started' }),
    ];
    await asA('post', `/api/counts/${counts[1]}/start`, {});
    const role = await created('post', '/api/roles', { name: 'Fuzz role', permissions: ['items:read'] });
    seeded = { item: items[0], location: locations[0], startedCount: counts[1], role };
    const webhook = await created('post', '/api/webhooks', {
      name: 'fuzz',
      url: 'http://127.0.0.1:9/hook',
      events: ['*'],
    });
    await asA('post', `/api/webhooks/${webhook}/test`, {});
    const [delivery] = await owner
      .query<{ id: string }>('select id from webhook_deliveries where endpoint_id = $1 limit 1', [webhook])
      .then((result) => result.rows);

    // Never tenant A's Admin, its roles' holder, or the API key the fuzz authenticates with: a fuzzed PATCH
    // or DELETE on them would lock the rest of the run out. The victims stand in for them.
    knownIdsByPath = [
      [/^\/api\/items\//, items],
      [/^\/api\/locations\//, locations],
      [/^\/api\/inventory\/movements\//, [movement]],
      [/^\/api\/counts\//, counts],
      [/^\/api\/roles\//, [role]],
      [/^\/api\/users\//, [sacrificialUser.id]],
      [/^\/api\/api-keys\//, [sacrificialKey.id]],
      [/^\/api\/webhooks\/\{id\}\/deliveries\/\{deliveryId\}/, [webhook, ...(delivery ? [delivery.id] : [])]],
      [/^\/api\/webhooks\//, [webhook]],
      [/^\/api\/tenants\//, [victimTenantId]],
      [/^\/api\/feature-flags\//, [...FEATURE_KEYS]],
      // Backups: no existing id on purpose; verifying a real backup restores it into a scratch database.
    ];
    knownIds = [...items, ...locations, movement, ...counts, role, sacrificialUser.id, a.roles.Counter];
    const roles = [role, a.roles.Counter, a.roles.Analyst];
    idsByField = {
      itemId: items,
      itemIds: items,
      locationId: locations,
      toLocationId: locations,
      locationIds: locations,
      roleId: roles,
      roleIds: roles,
      userId: [sacrificialUser.id],
      movementId: [movement],
    };

    const tables = (
      await owner.query<{ name: string }>(
        `select table_name as name from information_schema.tables
          where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
      )
    ).rows.map((row) => row.name);
    expect(tables.length).toBeGreaterThan(20);
    // One round trip: per table, its row count and newest row version (xmin of the newest tuple visible).
    snapshotSql = `select json_object_agg(name, facts) as snapshot from (${tables
      .map(
        (table) =>
          `select '${table}' as name, (select json_build_array(count(*), coalesce(max(xmin::text::bigint), 0)) ` +
          `from public."${table}") as facts`,
      )
      .join(' union all ')}) as tables`;
  });

  afterAll(async () => {
    await owner?.end();
    await t?.close();
    if (backupDirectory) rmSync(backupDirectory, { recursive: true, force: true });
  });

  async function snapshot(): Promise<Snapshot> {
    const { rows } = await owner.query<{ snapshot: Snapshot }>(snapshotSql);
    return rows[0].snapshot;
  }

  /** Tables whose row count or newest row version differ; the two legitimate writes (see above) excepted. */
  function unexpectedWrites(
    before: Snapshot,
    after: Snapshot,
    response: Response,
    usedApiKey: boolean,
  ): string[] {
    const problem = bodyOf<Partial<Problem>>(response);
    return Object.keys(after).filter((table) => {
      const [rowsBefore, versionBefore] = before[table] ?? [0, 0];
      const [rowsAfter, versionAfter] = after[table];
      if (rowsBefore === rowsAfter && versionBefore === versionAfter) return false;
      if (table === 'rbac_audit_log' && response.status === 403 && problem.type === 'forbidden') {
        return rowsAfter !== rowsBefore + 1;
      }
      if (table === 'api_keys' && usedApiKey) return rowsAfter !== rowsBefore;
      return true;
    });
  }

  function knownIdsFor(path: string): string[] {
    return knownIdsByPath.find(([pattern]) => pattern.test(path))?.[1] ?? [];
  }

  function pathArbitrary(template: string): fc.Arbitrary<string> {
    const parameters = [...template.matchAll(/\{([^}]+)\}/g)].map((match) => match[1]);
    if (parameters.length === 0) return fc.constant(template);
    const existing = knownIdsFor(template);
    const value = fc.oneof(
      {
        weight: existing.length > 0 ? 6 : 0,
        arbitrary: fc.constantFrom(...(existing.length ? existing : ['-'])),
      },
      { weight: 2, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: fc.uuid().map((id) => id.toUpperCase()) },
      { weight: 1, arbitrary: fc.uuid().map((id) => `{${id}}`) },
      { weight: 1, arbitrary: fc.uuid().map((id) => id.replaceAll('-', '')) },
      { weight: 2, arbitrary: hostileString },
      { weight: 1, arbitrary: fc.constantFrom(...BROKEN_ENCODINGS).map((raw) => ({ raw })) },
    );
    return fc.array(value, { minLength: parameters.length, maxLength: parameters.length }).map((values) => {
      let path = template;
      values.forEach((entry, index) => {
        const segment = typeof entry === 'object' ? entry.raw : encode(String(entry));
        path = path.replace(`{${parameters[index]}}`, segment);
      });
      return path;
    });
  }

  function queryArbitrary(operation: DocumentedOperation): fc.Arbitrary<string> {
    const declared = (operation.operation.parameters ?? []).filter((parameter) => parameter.in === 'query');
    const context = { document, knownIds, idsByField };
    const pair = (name: string, schema: Schema | undefined): fc.Arbitrary<string[]> =>
      fc
        .oneof(
          { weight: 4, arbitrary: schema ? shaped(context, schema, 0, name) : fc.string() },
          { weight: 2, arbitrary: hostile(context, schema ?? {}) },
          { weight: 1, arbitrary: fc.constantFrom(...BROKEN_ENCODINGS).map((raw) => ({ raw })) },
        )
        .chain((value) =>
          fc.integer({ min: 1, max: 4 }).map((repeat) => {
            const encoded =
              typeof value === 'object' && value !== null && 'raw' in value
                ? String((value as { raw: string }).raw)
                : encode(typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
            // repeated parameters arrive as arrays
            return Array.from(
              { length: repeat === 4 ? 2 : 1 },
              () => `${encodeURIComponent(name)}=${encoded}`,
            );
          }),
        );
    const parts = declared.map((parameter) =>
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([] as string[]) },
        { weight: 1, arbitrary: pair(parameter.name, parameter.schema) },
      ),
    );
    const unknown = fc.array(
      fc
        .tuple(
          fc.oneof(fc.constantFrom('tenantId', 'debug', '__proto__', 'limit[]'), fc.string()),
          hostileString,
        )
        .map(([name, value]) => `${encode(name)}=${encode(value)}`),
      { maxLength: 2 },
    );
    return fc
      .tuple(fc.tuple(...parts), unknown, fc.nat({ max: 5 }))
      .map(([declaredParts, extra, dice]) =>
        [...declaredParts.flat(), ...(dice === 0 ? extra : [])].join('&').slice(0, MAX_QUERY),
      );
  }

  function bodyArbitrary(operation: DocumentedOperation): fc.Arbitrary<BodyCase | undefined> {
    const schema = operation.operation.requestBody?.content['application/json']?.schema;
    const context = { document, knownIds, idsByField };
    const json =
      (kind: string) =>
      (value: unknown): BodyCase => ({
        kind,
        contentType: 'application/json',
        text: toJson(value),
      });
    const odd: Array<fc.WeightedArbitrary<BodyCase | undefined>> = [
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map(json('random JSON')) },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('{', '{"a":', '{"a":1}}', '[1,]', 'NaN', '\u0000', "{'a':1}", '{"a":1e999999}', '')
          .map((text) => ({ kind: 'malformed JSON', contentType: 'application/json', text })),
      },
      {
        weight: 1,
        arbitrary: fc
          .record({
            contentType: fc.constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/xml',
              'multipart/form-data; boundary=x',
              'application/json; charset=latin1',
              'application/json; charset=utf-16',
              'application/merge-patch+json',
              'application/octet-stream',
              '*/*',
              'garbage',
            ),
            text: fc.oneof(
              fc.constantFrom('a=1&b[c]=2&__proto__[x]=1', '<a>1</a>', '--x\r\n\r\n--x--', '{"name":"x"}'),
              fc.jsonValue({ maxDepth: 2 }).map((value) => toJson(value)),
            ),
          })
          .map((body) => ({ kind: 'content-type mismatch', ...body })),
      },
      {
        weight: 1,
        arbitrary: fc
          .constantFrom('gzip', 'deflate', 'br', 'compress', 'identity, gzip')
          .map((contentEncoding): BodyCase => ({
            kind: 'content-encoding mismatch',
            contentType: 'application/json',
            contentEncoding,
            text: '{"not":"compressed"}',
          })),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(1.1, 9).map((megabytes): BodyCase => ({
          kind: 'over the body limit',
          contentType: 'application/json',
          text: JSON.stringify({ padding: 'x'.repeat(Math.round(megabytes * 1024 * 1024)) }),
        })),
      },
    ];
    if (!schema) {
      // No body declared: mostly none, sometimes one anyway.
      return fc.oneof({ weight: 20, arbitrary: fc.constant(undefined) }, ...odd);
    }
    return fc.oneof(
      { weight: 6, arbitrary: shaped(context, schema).map(json('shaped')) },
      { weight: 10, arbitrary: hostile(context, schema).map(json('hostile')) },
      { weight: 1, arbitrary: fc.constant(undefined) },
      ...odd,
    );
  }

  function headersArbitrary(): fc.Arbitrary<Record<string, string>> {
    const tenantReference = fc.oneof(
      fc.constantFrom(a.slug, a.id, a.slug.toUpperCase(), ` ${a.slug} `, b.slug, b.id, 'default', ''),
      fc.uuid(),
      headerValue(40),
      fc.constant('t'.repeat(101)),
      fc.constantFrom(...NASTY_STRINGS.filter((text) => /^[\x20-\x7e]*$/.test(text))),
    );
    // Each odd header in about one request of `odds`: most requests must still reach the handler.
    const rarely = (value: fc.Arbitrary<string>, odds: number): fc.Arbitrary<string | undefined> =>
      fc.oneof({ weight: odds - 1, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: value });
    return fc
      .record({
        'Idempotency-Key': rarely(
          fc.oneof(
            fc.uuid(),
            headerValue(300),
            fc.constantFrom('', ' ', 'k'.repeat(255), 'k'.repeat(256), 'k'.repeat(8000), 'ü'.repeat(200)),
          ),
          3,
        ),
        'X-Tenant-Id': rarely(tenantReference, 6),
        'X-Org-Id': rarely(tenantReference, 12),
        'X-API-Key': rarely(
          fc.oneof(headerValue(60), fc.constant(`iek_${'0'.repeat(32)}_${'A'.repeat(43)}`)),
          15,
        ),
        Accept: rarely(
          fc.constantFrom('application/xml', 'text/html', '*/*', 'application/problem+json', 'garbage'),
          8,
        ),
        'X-Request-Id': rarely(headerValue(200), 8),
        'Accept-Language': rarely(headerValue(50), 10),
        'X-Forwarded-For': rarely(
          fc.constantFrom('1.2.3.4', 'garbage', '::1, 10.0.0.1', 'x'.repeat(500)),
          10,
        ),
      })
      .map(
        (headers) =>
          Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)) as Record<
            string,
            string
          >,
      );
  }

  function requestArbitrary(operation: DocumentedOperation): fc.Arbitrary<RequestCase> {
    const tenantRoute = !['public', 'platform-admin', 'public (in the resolved tenant)'].includes(
      operation.operation['x-access'] ?? '',
    );
    return fc.record({
      path: pathArbitrary(operation.path),
      query: queryArbitrary(operation),
      body: bodyArbitrary(operation),
      // Tenant routes: A's Admin token, one time in four A's Admin API key.
      credential: tenantRoute
        ? fc.constantFrom<Credential>('token', 'token', 'token', 'api-key')
        : fc.constant<Credential>('token'),
      headers: headersArbitrary(),
    });
  }

  /** Sends the request with its operation's credential; `usedApiKey`: it authenticated with A's valid API key. */
  async function send(
    operation: DocumentedOperation,
    request: RequestCase,
  ): Promise<{ response: Response; usedApiKey: boolean }> {
    const access = operation.operation['x-access'];
    const url = request.query ? `${request.path}?${request.query}` : request.path;
    const call = t.http()[operation.method](url);
    const headers: Record<string, string> = { ...request.headers };
    if (access === 'public (in the resolved tenant)') {
      headers['X-Tenant-Id'] ??= a.slug;
      delete headers['X-API-Key'];
    } else if (access === 'platform-admin') {
      headers.Authorization = `Bearer ${platformToken}`;
    } else if (access !== 'public') {
      if (request.credential === 'api-key' && !('X-API-Key' in headers)) headers['X-API-Key'] = aKey;
      else headers.Authorization = `Bearer ${a.admin.token}`;
    }
    for (const [name, value] of Object.entries(headers)) call.set(name, value);
    if (request.body) {
      if (request.body.contentType) call.set('Content-Type', request.body.contentType);
      if (request.body.contentEncoding) call.set('Content-Encoding', request.body.contentEncoding);
      call.send(request.body.text);
    }
    return { response: await call, usedApiKey: headers['X-API-Key'] === aKey };
  }

  /** Between operations: every feature on again (PUT /api/feature-flags/{key} switches them off). */
  async function restoreFeatures(): Promise<void> {
    for (const key of FEATURE_KEYS) {
      await t
        .http()
        .put(`/api/feature-flags/${key}`)
        .set('Authorization', `Bearer ${a.admin.token}`)
        .send({ enabled: true });
    }
  }

  /** POST /api/backups answers at once and dumps in the background: wait until nothing runs any more. */
  async function waitForBackups(): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const { rows } = await owner.query<{ running: number }>(
        `select count(*)::int as running from backups where status = 'running'`,
      );
      if (rows[0].running === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('a backup is still running after 30 s');
  }

  /** `{"a":{"a":...{}}}`: `levels` objects deep. */
  const nestedText = (levels: number): string => `${'{"a":'.repeat(levels - 1)}{}${'}'.repeat(levels - 1)}`;

  describe('regressions the fuzz found (each was a 500)', () => {
    function expectProblem(response: Response, status: number, type: string): void {
      expect({ status: response.status, type: bodyOf<Problem>(response).type }).toEqual({
        status,
        type,
      });
      expect(String(response.headers['content-type'])).toMatch(PROBLEM_JSON);
    }

    it('refuses a body nested more than 64 levels deep with 400 before anything walks it, and takes 64', async () => {
      const asA = { Authorization: `Bearer ${a.admin.token}`, 'Content-Type': 'application/json' };
      const asPlatform = { Authorization: `Bearer ${platformToken}`, 'Content-Type': 'application/json' };
      const before = await snapshot();
      const tooDeep: Array<[string, 'post' | 'put' | 'patch', string, Record<string, string>]> = [
        // RangeError (stack overflow) in class-transformer: 5,000 objects, 100,000 arrays
        [`{"name":${nestedText(5000)},"roleId":"${a.roles.Analyst}"}`, 'post', '/api/api-keys', asA],
        [`{"sku":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, 'post', '/api/items', asA],
        // the count-lines route has a body parser of its own (8 MB)
        [`{"lines":[${nestedText(3000)}]}`, 'put', `/api/counts/${seeded.startedCount}/lines`, asA],
        // one level too many: body, settings, branding and 62 more
        [
          `{"settings":{"branding":${nestedText(63)}}}`,
          'patch',
          `/api/tenants/${victimTenantId}`,
          asPlatform,
        ],
      ];
      for (const [body, method, path, headers] of tooDeep) {
        const response = await t.http()[method](path).set(headers).send(body);
        expectProblem(response, 400, 'bad-request');
        expect(bodyOf<Problem>(response).detail).toContain('64 levels');
      }
      expect(
        unexpectedWrites(before, await snapshot(), { status: 400, body: {} } as Response, false),
      ).toEqual([]);

      const deepest = await t
        .http()
        .patch(`/api/tenants/${victimTenantId}`)
        .set(asPlatform)
        .send(`{"settings":{"branding":${nestedText(62)}}}`);
      expect(deepest.status).toBe(200);
    });

    it('refuses null for a field a PATCH may leave out but not clear (400 naming it), instead of calling null.trim()', async () => {
      const asA = { Authorization: `Bearer ${a.admin.token}` };
      const asPlatform = { Authorization: `Bearer ${platformToken}` };
      const before = await snapshot();
      const cases: Array<[string, Record<string, string>, string]> = [
        [`/api/tenants/${victimTenantId}`, asPlatform, 'name'],
        [`/api/roles/${seeded.role}`, asA, 'name'],
        [`/api/items/${seeded.item}`, asA, 'sku'],
        [`/api/items/${seeded.item}`, asA, 'name'],
        [`/api/locations/${seeded.location}`, asA, 'site'],
        [`/api/locations/${seeded.location}`, asA, 'name'],
      ];
      for (const [path, headers, field] of cases) {
        const response = await t
          .http()
          .patch(path)
          .set(headers)
          .send({ [field]: null });
        expectProblem(response, 400, 'validation-failed');
        const errors = bodyOf<Problem>(response).errors!;
        expect({ path, fields: [...new Set(errors.map((error) => error.field))] }).toEqual({
          path,
          fields: [field],
        });
      }
      expect(
        unexpectedWrites(before, await snapshot(), { status: 400, body: {} } as Response, false),
      ).toEqual([]);
    });

    it('answers U+0000 in a text value (body, jsonb, query string) with 400 invalid-value and writes nothing', async () => {
      const asA = { Authorization: `Bearer ${a.admin.token}` };
      const before = await snapshot();
      const requests: Array<() => Promise<Response>> = [
        () => t.http().post('/api/items').set(asA).send({ sku: 'a\u0000b', name: 'NUL', baseUom: 'ea' }),
        () => t.http().post('/api/locations').set(asA).send({ site: 'NUL', name: 'in\u0000name' }),
        () =>
          t
            .http()
            .post('/api/inventory/movements')
            .set(asA)
            .send({
              type: 'receipt',
              reference: 'PO\u0000',
              lines: [{ itemId: seeded.item, locationId: seeded.location, qty: 1 }],
            }),
        () =>
          t
            .http()
            .patch(`/api/tenants/${victimTenantId}`)
            .set('Authorization', `Bearer ${platformToken}`)
            .send({ settings: { branding: { title: 'a\u0000b' } } }),
        () => t.http().get('/api/items?search=%00').set(asA),
        () => t.http().get('/api/inventory/balances?lotCode=a%00').set(asA),
      ];
      for (const request of requests) expectProblem(await request(), 400, 'invalid-value');
      expect(
        unexpectedWrites(before, await snapshot(), { status: 400, body: {} } as Response, false),
      ).toEqual([]);
    });
  });

  it('answers no request with a 5xx, every 4xx with problem+json, and writes nothing on a 4xx', async () => {
    // Deletions last: an item, location, webhook or user deleted early would turn the rest of its operations
    // into 404s.
    const operations = operationsOf(document).sort(
      (x, y) => Number(x.method === 'delete') - Number(y.method === 'delete'),
    );
    expect(operations.length).toBeGreaterThan(50);
    const failures: string[] = [];
    const statistics: Record<string, Record<number, number>> = {};

    for (const [index, operation] of operations.entries()) {
      const name = `${operation.method} ${operation.path}`;
      const runs = FEWER_RUNS[name] ?? RUNS_PER_OPERATION;
      const counts: Record<number, number> = (statistics[name] = {});
      let before = await snapshot();
      const started = Date.now();
      const details = await fc.check(
        fc.asyncProperty(requestArbitrary(operation), async (request) => {
          const { response, usedApiKey } = await send(operation, request);
          counts[response.status] = (counts[response.status] ?? 0) + 1;
          if (name === 'post /api/backups') await waitForBackups();
          const after = await snapshot();
          const status = response.status;
          const problem = response.body as Record<string, unknown>;
          try {
            expect(status).toBeLessThan(500);
            if (status >= 400) {
              expect(String(response.headers['content-type'])).toMatch(PROBLEM_JSON);
              expect(problem).toMatchObject({
                status,
                type: expect.any(String),
                title: expect.any(String),
                detail: expect.any(String),
              });
              expect(unexpectedWrites(before, after, response, usedApiKey)).toEqual([]);
            }
          } catch (error) {
            throw new Error(
              `${operation.method.toUpperCase()} ${request.path.slice(0, 200)}` +
                `${request.query ? `?${request.query.slice(0, 300)}` : ''} (${request.credential}) ` +
                `headers ${JSON.stringify(request.headers).slice(0, 300)}\n` +
                `body (${request.body?.kind ?? 'none'}, ${request.body?.contentType ?? '-'}): ` +
                `${request.body?.text.slice(0, 500) ?? ''}\n` +
                `-> ${status} ${response.text.slice(0, 500)}\n${(error as Error).message}`,
            );
          } finally {
            before = after;
          }
        }),
        { seed: seed + index, numRuns: runs, endOnFailure: true },
      );
      if (process.env.FUZZ_LOG) {
        appendFileSync(
          process.env.FUZZ_LOG,
          `${name} ${Date.now() - started} ms ${JSON.stringify(counts)}\n`,
        );
      }
      if (details.failed) {
        const error = details.errorInstance as Error | undefined;
        failures.push(
          `${name}: operation seed ${seed + index}, path ${details.counterexamplePath}\n` +
            String(error?.message ?? error).slice(0, 3000),
        );
      }
      await restoreFeatures();
    }
    if (failures.length > 0) {
      throw new Error(
        `fuzz failures with FUZZ_SEED=${seed} (replay: FUZZ_SEED=${seed} npm test -- test/e2e/fuzz.e2e-spec.ts)\n\n` +
          failures.join('\n\n'),
      );
    }
    // Every operation was reached, and not only as a 4xx: the fuzz must get past validation somewhere.
    const answered = Object.values(statistics).flatMap((byStatus) => Object.keys(byStatus).map(Number));
    expect(answered.some((status) => status < 300)).toBe(true);
    expect(Object.keys(statistics)).toHaveLength(operations.length);
  }, 180_000);
});
