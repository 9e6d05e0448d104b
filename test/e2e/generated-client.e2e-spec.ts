import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createClient as generateClient } from '@hey-api/openapi-ts';
import { Ajv, type ValidateFunction } from 'ajv';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { type DocumentedOperation, type OpenApiDocument, operationsOf } from '../support/openapi-document.js';
import { bodyOf } from '../support/api-body.js';
import type { LedgerEntryPage } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

/**
 * Issue 9, item 5: a TypeScript client generated from the running app's own OpenAPI document (GET /docs-json)
 * with @hey-api/openapi-ts (fetch client, types, SDK functions) drives a short scenario over real HTTP: login,
 * item, location, API key, receipt, balance. It proves the document is complete and truthful:
 *
 * - complete: every operation declares its success response with a schema, every error response is
 *   problem+json, and every operation names the credentials it takes (checked on the document itself);
 * - typed: the scenario is TypeScript that reads response fields (`login.data.accessToken`,
 *   `balances.data.data[0].qty`, `conflict.error.type`) and is type-checked strictly against the generated
 *   types, so an operation whose response the document leaves untyped fails to compile;
 * - truthful: every response the client received is validated against the schema the document declares for
 *   that operation and status, with undeclared properties refused, and the credentials the client sends are
 *   exactly what the document's security requirements told it to send.
 *
 * How the generated code runs under jest: the client is generated into a temporary directory outside the
 * project (nothing to gitignore or clean up in the tree), type-checked there with the TypeScript compiler API
 * (strict, against the DOM lib for fetch), then each .ts file is transpiled with ts.transpileModule to .mjs with
 * its relative imports rewritten to .mjs. jest loads .mjs files as native ES modules without any transform, so a
 * dynamic import() of the scenario works; ts-jest would not transform .ts files outside the project's roots.
 */

/** One request of the scenario, as the recording fetch of the generated client saw it. */
interface Exchange {
  method: string;
  path: string;
  requestHeaders: Record<string, string>;
  status: number;
  contentType: string;
  body: string;
}

interface ScenarioResult {
  exchanges: Exchange[];
  userId: string;
  itemId: string;
  locationId: string;
  movementId: string;
  balanceQty: string;
  balanceViaApiKey: string;
  conflictType: string;
}

const SCENARIO_TS = `
import {
  apiKeysControllerCreate,
  authControllerLogin,
  authControllerMe,
  inventoryControllerBalances,
  inventoryControllerPost,
  itemsControllerCreate,
  locationsControllerCreate,
  type CreateItemDto,
  type MovementView,
} from './client/index.js';
import { createClient } from './client/client/index.js';

export interface Exchange {
  method: string;
  path: string;
  requestHeaders: Record<string, string>;
  status: number;
  contentType: string;
  body: string;
}

export interface Input {
  baseUrl: string;
  tenant: string;
  email: string;
  password: string;
  sku: string;
  idempotencyKey: string;
}

/** Runs the scenario with only what the generated client offers; returns what it read and every exchange. */
export async function run(input: Input) {
  const exchanges: Exchange[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const response = await fetch(request);
    const url = new URL(request.url);
    exchanges.push({
      method: request.method,
      path: url.pathname,
      requestHeaders: Object.fromEntries(request.headers.entries()),
      status: response.status,
      contentType: response.headers.get('content-type') ?? '',
      body: await response.clone().text(),
    });
    return response;
  };

  // Login: its security is the tenant header only; the auth callback answers per security scheme.
  const anonymous = createClient({
    baseUrl: input.baseUrl,
    fetch: recordingFetch,
    auth: (auth) => (auth.name === 'X-Tenant-Id' ? input.tenant : undefined),
  });
  const login = await authControllerLogin({
    client: anonymous,
    body: { email: input.email, password: input.password },
    throwOnError: true,
  });
  const token: string = login.data.accessToken;
  const userId: string = login.data.user.id;

  // Everything else: the bearer token (and the optional tenant header the document allows with it).
  const client = createClient({
    baseUrl: input.baseUrl,
    fetch: recordingFetch,
    auth: (auth) =>
      auth.scheme === 'bearer' ? token : auth.name === 'X-Tenant-Id' ? input.tenant : undefined,
  });
  const me = await authControllerMe({ client, throwOnError: true });
  const permissions: string[] = me.data.permissions;
  if (!permissions.includes('inventory:write')) throw new Error('the Admin lacks inventory:write');

  const itemBody: CreateItemDto = {
    sku: input.sku,
    name: 'Generated-client widget',
    baseUom: 'ea',
    uoms: [{ code: 'case', factor: '12' }],
  };
  const item = await itemsControllerCreate({ client, body: itemBody, throwOnError: true });
  const location = await locationsControllerCreate({
    client,
    body: { site: 'Client site', name: 'A-01-01', type: 'bin' },
    throwOnError: true,
  });
  const receipt = await inventoryControllerPost({
    client,
    headers: { 'Idempotency-Key': input.idempotencyKey },
    body: {
      type: 'receipt',
      reference: 'PO-1',
      lines: [{ itemId: item.data.id, locationId: location.data.id, qty: '2', uom: 'case' }],
    },
    throwOnError: true,
  });
  const movement: MovementView = receipt.data;
  // The same request again with its Idempotency-Key: the first response, not a second receipt.
  const replay = await inventoryControllerPost({
    client,
    headers: { 'Idempotency-Key': input.idempotencyKey },
    body: {
      type: 'receipt',
      reference: 'PO-1',
      lines: [{ itemId: item.data.id, locationId: location.data.id, qty: '2', uom: 'case' }],
    },
    throwOnError: true,
  });
  if (replay.data.id !== movement.id) throw new Error('the idempotent replay posted a second movement');

  const balances = await inventoryControllerBalances({
    client,
    query: { itemId: item.data.id, locationId: location.data.id },
    throwOnError: true,
  });
  const balanceQty: string = balances.data.data[0]?.qty ?? 'none';

  // An API key created through the client, then a second client authenticating with it (X-API-Key).
  const roleId: string | undefined = me.data.roles[0]?.id;
  if (!roleId) throw new Error('the Admin has no role');
  const created = await apiKeysControllerCreate({
    client,
    body: { name: 'generated client', roleId },
    throwOnError: true,
  });
  const key: string = created.data.key;
  const viaKey = createClient({
    baseUrl: input.baseUrl,
    fetch: recordingFetch,
    auth: (auth) => (auth.name === 'X-API-Key' ? key : undefined),
  });
  const keyBalances = await inventoryControllerBalances({
    client: viaKey,
    query: { itemId: item.data.id },
    throwOnError: true,
  });
  const balanceViaApiKey: string = keyBalances.data.data[0]?.qty ?? 'none';

  // A documented error: the same sku again is 409, typed as the document's Problem.
  const conflict = await itemsControllerCreate({ client, body: itemBody });
  const conflictType: string = conflict.error?.type ?? 'no error';

  return {
    exchanges,
    userId,
    itemId: item.data.id,
    locationId: location.data.id,
    movementId: movement.id,
    balanceQty,
    balanceViaApiKey,
    conflictType,
  };
}
`;

function walk(directory: string): string[] {
  return readdirSync(directory).flatMap((name) => {
    const path = join(directory, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** The document's operation answering `method path` (path templates like /api/items/{id} matched by segment). */
function findOperation(document: OpenApiDocument, method: string, path: string): DocumentedOperation {
  const found = operationsOf(document).find((candidate) => {
    if (candidate.method !== method.toLowerCase()) return false;
    const pattern = new RegExp(`^${candidate.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
    return pattern.test(path);
  });
  if (!found) throw new Error(`the document has no operation for ${method} ${path}`);
  return found;
}

/**
 * The document's component schemas with `additionalProperties: false` wherever an object schema lists its
 * properties and says nothing else: a response property the document does not declare is then an error.
 */
function closedSchemas(schemas: Record<string, unknown>): Record<string, unknown> {
  const close = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(close);
    if (node === null || typeof node !== 'object') return node;
    const copy = Object.fromEntries(
      Object.entries(node as Record<string, unknown>).map(([key, value]) => [key, close(value)]),
    );
    if ('properties' in copy && !('additionalProperties' in copy)) copy.additionalProperties = false;
    return copy;
  };
  return close(schemas) as Record<string, unknown>;
}

describe('generated client (@hey-api/openapi-ts from GET /docs-json)', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let baseUrl: string;
  let document: OpenApiDocument;
  let directory: string;
  let ajv: Ajv;
  const validators = new Map<string, ValidateFunction>();

  beforeAll(async () => {
    t = await createTestApp();
    tenant = await createTenant(t, 'client');
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    baseUrl = `http://127.0.0.1:${port}`;
    // supertest, not fetch: a keep-alive connection left idle in fetch's pool while the client is generated
    // and type-checked would be closed by the server (5 s keepAliveTimeout) and reset the scenario's first request.
    const response = await t.http().get('/docs-json');
    expect(response.status).toBe(200);
    document = response.body as OpenApiDocument;
    directory = mkdtempSync(join(tmpdir(), 'generated-client-'));
    // OpenAPI 3.0 schemas: `nullable` is understood by ajv; `example` and the like are not JSON Schema
    // keywords (strict off); formats (uuid, email) are not what this test is about.
    ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ $id: 'openapi', components: { schemas: closedSchemas(document.components.schemas) } });
  });
  afterAll(async () => {
    if (directory) rmSync(directory, { recursive: true, force: true });
    await t?.close();
  });

  function validatorFor(schema: Record<string, unknown>): ValidateFunction {
    const key = JSON.stringify(schema);
    let validate = validators.get(key);
    if (!validate) {
      // Refs point into the document (#/components/schemas/X): resolve them in the schema added above.
      const rebased = JSON.parse(key.replaceAll('"#/components/', '"openapi#/components/')) as object;
      validate = ajv.compile(closedSchemas({ schema: rebased }).schema as object);
      validators.set(key, validate);
    }
    return validate;
  }

  describe('the document', () => {
    it('declares a success response with a schema for every /api operation (204: none)', () => {
      const missing: string[] = [];
      for (const { method, path, operation } of operationsOf(document)) {
        // /health and /health/ready (public, outside /api) are documented by @nestjs/terminus's own
        // @HealthCheck(), which loads @nestjs/swagger through createRequire: under jest that is a second
        // instance whose metadata Nest's scanner does not see. They are not part of the client's API.
        if (!path.startsWith('/api/')) continue;
        const success = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
        if (success.length !== 1) {
          missing.push(`${method.toUpperCase()} ${path}: ${success.length} success responses`);
          continue;
        }
        const [status, response] = success[0];
        if (status === '204') {
          if (response.content) missing.push(`${method.toUpperCase()} ${path}: 204 with content`);
          continue;
        }
        const media = Object.entries(response.content ?? {});
        if (media.length !== 1 || !media[0][1].schema) {
          missing.push(`${method.toUpperCase()} ${path}: ${status} without one schema`);
        }
      }
      expect(missing).toEqual([]);
    });

    it('declares the streamed export as NDJSON and every other success body as JSON', () => {
      const mediaTypes = operationsOf(document)
        .filter(({ path }) => path.startsWith('/api/'))
        .flatMap(({ method, path, operation }) =>
          Object.entries(operation.responses)
            .filter(([status]) => /^2\d\d$/.test(status))
            .flatMap(([, response]) =>
              Object.keys(response.content ?? {}).map((type) => `${method.toUpperCase()} ${path} ${type}`),
            ),
        );
      expect(mediaTypes.filter((entry) => !entry.endsWith(' application/json'))).toEqual([
        'GET /api/tenant/export application/x-ndjson',
      ]);
    });

    it('gives every declared error response of the API the problem+json schema', () => {
      const withoutProblem = operationsOf(document)
        .filter(({ operation }) => operation['x-access'] !== 'public')
        .flatMap(({ method, path, operation }) =>
          Object.entries(operation.responses)
            .filter(([status]) => Number(status) >= 400)
            .filter(
              ([, response]) =>
                (response.content?.['application/problem+json']?.schema as { $ref?: string } | undefined)
                  ?.$ref !== '#/components/schemas/Problem',
            )
            .map(([status]) => `${method.toUpperCase()} ${path} ${status}`),
        );
      expect(withoutProblem).toEqual([]);
    });

    it("states each operation's credentials: a bearer token or an API key, each with an optional X-Tenant-Id", () => {
      const tokenOrKey = [
        { bearer: [] },
        { bearer: [], tenant: [] },
        { 'api-key': [] },
        { 'api-key': [], tenant: [] },
      ];
      const tokenOnly = tokenOrKey.filter((requirement) => !('api-key' in requirement));
      const expected = (access: string | undefined): unknown => {
        if (access === 'public') return []; // declared as no security (redocly: security-defined)
        if (access === 'public (in the resolved tenant)') return [{ tenant: [] }];
        // An API key is never a platform administrator.
        if (access === 'platform-admin') return tokenOnly;
        return tokenOrKey;
      };
      const wrong = operationsOf(document)
        .map(({ method, path, operation }) => ({
          operation: `${method.toUpperCase()} ${path}`,
          access: operation['x-access'],
          security: operation.security,
        }))
        .filter(({ access, security }) => {
          const sorted = security?.map((requirement) => JSON.stringify(requirement)).sort();
          const want = (expected(access) as object[] | undefined)?.map((r) => JSON.stringify(r)).sort();
          return JSON.stringify(sorted) !== JSON.stringify(want);
        });
      expect(wrong).toEqual([]);
      expect(Object.keys(document.components.securitySchemes).sort()).toEqual([
        'api-key',
        'bearer',
        'tenant',
      ]);
    });

    it('declares every path parameter of every path template', () => {
      const undeclared = operationsOf(document).flatMap(({ method, path, operation }) =>
        [...path.matchAll(/\{([^}]+)\}/g)]
          .map((match) => match[1])
          .filter(
            (name) =>
              !operation.parameters?.some(
                (parameter) => parameter.in === 'path' && parameter.name === name && parameter.required,
              ),
          )
          .map((name) => `${method.toUpperCase()} ${path} {${name}}`),
      );
      expect(undeclared).toEqual([]);
    });
  });

  describe('the client', () => {
    /**
     * Generating and running the client is slow: each test asks for what it needs and the first to ask makes
     * it, so that any one of them runs alone and the scenario runs once per file.
     */
    let generation: Promise<void> | undefined;
    let scenarioRun: Promise<ScenarioResult> | undefined;

    function generated(): Promise<void> {
      generation ??= (async () => {
        await generateClient({
          input: document,
          output: { path: join(directory, 'client') },
          plugins: ['@hey-api/client-fetch', '@hey-api/typescript', '@hey-api/sdk'],
          logs: { level: 'silent' },
        } as Parameters<typeof generateClient>[0]);
        writeFileSync(join(directory, 'scenario.ts'), SCENARIO_TS);
      })();
      return generation;
    }

    function scenarioResult(): Promise<ScenarioResult> {
      scenarioRun ??= (async () => {
        await generated();
        for (const file of walk(directory).filter((path) => path.endsWith('.ts'))) {
          const javascript = ts
            .transpileModule(readFileSync(file, 'utf8'), {
              compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 },
            })
            .outputText.replace(/(from\s+['"]\.{1,2}\/[^'"]+)\.js(['"])/g, '$1.mjs$2');
          writeFileSync(file.replace(/\.ts$/, '.mjs'), javascript);
        }
        const scenario = (await import(pathToFileURL(join(directory, 'scenario.mjs')).href)) as {
          run(input: Record<string, string>): Promise<ScenarioResult>;
        };
        return scenario.run({
          baseUrl,
          tenant: tenant.slug,
          email: tenant.admin.email,
          password: tenant.admin.password,
          sku: `GEN-${randomUUID().slice(0, 8)}`,
          idempotencyKey: randomUUID(),
        });
      })();
      return scenarioRun;
    }

    it('is generated and, with a typed scenario, passes a strict type check', async () => {
      await generated();
      const program = ts.createProgram([join(directory, 'scenario.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ES2022,
        moduleResolution: ts.ModuleResolutionKind.Bundler,
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts', 'lib.dom.iterable.d.ts'],
        types: [],
        skipLibCheck: true,
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) => {
        const where = diagnostic.file
          ? `${diagnostic.file.fileName.slice(directory.length + 1)}:${
              diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line + 1
            }: `
          : '';
        return where + ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n');
      });
      expect(diagnostics).toEqual([]);
    });

    it('runs login, item, location, receipt (replayed by its Idempotency-Key), balance and an API key', async () => {
      const result = await scenarioResult();

      expect(result.userId).toBe(tenant.admin.id);
      // 2 cases of 12: the balance is in the base unit, as a decimal string.
      expect(result.balanceQty).toBe('24');
      expect(result.balanceViaApiKey).toBe('24');
      expect(result.conflictType).toBe('conflict');
      expect(result.exchanges.map((exchange) => `${exchange.method} ${exchange.status}`)).toEqual([
        'POST 200',
        'GET 200',
        'POST 201',
        'POST 201',
        'POST 201',
        'POST 201',
        'GET 200',
        'POST 201',
        'GET 200',
        'POST 409',
      ]);
      const replayed = result.exchanges.filter((exchange) => exchange.path === '/api/inventory/movements');
      expect(replayed[1].body).toBe(replayed[0].body);

      const ledger = await t
        .http()
        .get(`/api/inventory/ledger?itemId=${result.itemId}`)
        .set('Authorization', `Bearer ${tenant.admin.token}`);
      expect(bodyOf<LedgerEntryPage>(ledger).data).toHaveLength(1);
    });

    it('received only what the document declares: every body matches its operation and status schema', async () => {
      const result = await scenarioResult();
      const mismatches: unknown[] = [];
      for (const exchange of result.exchanges) {
        const { method, path, operation } = findOperation(document, exchange.method, exchange.path);
        const declared = operation.responses[String(exchange.status)];
        const label = `${method.toUpperCase()} ${path} ${exchange.status}`;
        if (!declared) {
          mismatches.push(`${label}: status not declared`);
          continue;
        }
        const mediaType = exchange.contentType.split(';')[0].trim();
        const schema = declared.content?.[mediaType]?.schema;
        if (!schema) {
          mismatches.push(`${label}: ${mediaType} not declared`);
          continue;
        }
        const validate = validatorFor(schema);
        if (!validate(JSON.parse(exchange.body)))
          mismatches.push({ exchange: label, errors: validate.errors });
      }
      expect(mismatches).toEqual([]);
    });

    it('sent exactly the credentials the security requirements asked for', async () => {
      const result = await scenarioResult();
      const sent = result.exchanges.map((exchange) => {
        const headers = exchange.requestHeaders;
        return [
          `${exchange.method} ${exchange.path.replace(/[0-9a-f-]{36}/g, '{id}')}`,
          headers.authorization?.replace(/^Bearer .+$/, 'Bearer <token>') ?? '-',
          headers['x-api-key'] ? '<key>' : '-',
          headers['x-tenant-id'] ?? '-',
        ].join(' | ');
      });
      const withToken = (route: string): string => `${route} | Bearer <token> | - | ${tenant.slug}`;
      expect(sent).toEqual([
        `POST /api/auth/login | - | - | ${tenant.slug}`,
        withToken('GET /api/auth/me'),
        withToken('POST /api/items'),
        withToken('POST /api/locations'),
        withToken('POST /api/inventory/movements'),
        withToken('POST /api/inventory/movements'),
        withToken('GET /api/inventory/balances'),
        withToken('POST /api/api-keys'),
        'GET /api/inventory/balances | - | <key> | -',
        withToken('POST /api/items'),
      ]);
    });
  });
});
