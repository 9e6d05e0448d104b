import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './platform/http/problem-details/problem-details.js';
import { SECURITY } from './platform/access/security-schemes.js';

/**
 * Every tag the controllers use (@ApiTags), in the order Swagger UI lists them: the business first, then
 * identity and tenant administration, platform administration, and the operational endpoints last.
 */
export const OPENAPI_TAGS: ReadonlyArray<{ name: string; description: string }> = [
  { name: 'items', description: 'Items (SKUs) with their units of measure' },
  { name: 'locations', description: 'Sites and the locations where stock is kept' },
  { name: 'inventory', description: 'Movements, the append-only ledger, balances and on-hand quantities' },
  {
    name: 'reservations',
    description: 'Stock reserved for orders: available = on hand - reserved, enforced by the database',
  },
  {
    name: 'availability',
    description: 'Available-to-promise lookups, reorder points and the replenishment report',
  },
  { name: 'counts', description: 'Physical counts: count sheets, counting, approval into one adjustment' },
  { name: 'webhooks', description: 'Webhook endpoints, the event catalog and the signed deliveries' },
  { name: 'events', description: "The tenant's events in commit order, after a cursor (the event feed)" },
  { name: 'auth', description: 'Log in, and who the caller is' },
  { name: 'users', description: "The tenant's users" },
  { name: 'roles', description: 'Roles and the catalog of permissions' },
  { name: 'api-keys', description: 'API keys for machine clients, each bound to one role' },
  { name: 'tenant', description: "The caller's tenant and the export of its data" },
  { name: 'feature-flags', description: "The tenant's feature flags" },
  { name: 'audit', description: 'The audit log: every change and every permission denial' },
  { name: 'platform', description: 'Platform administration: tenants and backups' },
  { name: 'operations', description: 'Liveness and readiness checks, outside any tenant' },
];

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Inventory Enterprise API')
    .setDescription(
      'Multi-tenant inventory: items, locations, an append-only stock ledger with database-kept balances, ' +
        'physical counts and signed webhooks. Errors are RFC 9457 application/problem+json.',
    )
    .setVersion('1')
    // The service serves this document itself (/docs-json): `/` is the service it came from, whatever host,
    // port, proxy or tenant subdomain it was reached through.
    .addServer('/', 'This service')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, SECURITY.bearer)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-API-Key' }, SECURITY.apiKey)
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Tenant-Id',
        description: 'Tenant id or slug (alias: X-Org-Id)',
      },
      SECURITY.tenant,
    );
  for (const tag of OPENAPI_TAGS) builder.addTag(tag.name, tag.description);
  const config = builder.build();
  // package.json says "UNLICENSED": proprietary, not licensed for use by others (a license needs no URL).
  config.info.license = { name: 'Proprietary' };
  return finishDocument(SwaggerModule.createDocument(app, config));
}

/** RFC 9457, as ProblemDetailsFilter writes every error of the API. */
const PROBLEM_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', example: 'validation-failed', description: 'Stable slug to switch on' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    errors: {
      type: 'array',
      description: 'validation-failed: every offending field',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
  additionalProperties: true,
};

/**
 * What the decorators cannot say once for all operations:
 * - errors: the declared error responses (401, 403, 409, ...) carry no content of their own; each gets the
 *   problem+json schema, so that generated clients type their errors. Operations with input also answer 400
 *   (validation) and operations with a path id 404 (unknown here or another tenant's), declared where missing.
 *   Public operations (health) answer in their own formats: they only get `security: []` and the 400 of an
 *   unreadable body (finishPublicOperation).
 * - `nullable` enums: OpenAPI 3.0.3 says `nullable: true` does not override `enum`, so an enum without null
 *   refuses null (and generated clients type the field without it). Every nullable enum gets null listed.
 */
function finishDocument(document: OpenAPIObject): OpenAPIObject {
  document.components = {
    ...document.components,
    schemas: { ...document.components?.schemas, Problem: PROBLEM_SCHEMA },
  };
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.put, item.post, item.delete, item.patch]) {
      if (!operation) continue;
      if ((operation as OperationObject & { 'x-access'?: string })['x-access'] === 'public') {
        finishPublicOperation(operation);
        continue;
      }
      const parameters = (operation.parameters ?? []) as Array<{ in?: string }>;
      if (operation.requestBody || parameters.length > 0) {
        operation.responses['400'] ??= {
          description: 'validation-failed (every offending field in `errors`) or another malformed input',
        };
      }
      if (parameters.some((parameter) => parameter.in === 'path')) {
        operation.responses['404'] ??= { description: 'not-found: no such id in this tenant' };
      }
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) >= 400 && response && !('$ref' in response) && !response.content) {
          response.content = {
            [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } },
          };
        }
      }
    }
  }
  listNullInNullableEnums(document.components.schemas);
  return document;
}

/**
 * A public operation (health) needs no credentials: `security: []` says so explicitly instead of leaving it
 * unsaid. It takes no input, but the service's body parser runs before every route, so a request sending an
 * unreadable body gets the same 400 problem+json as any other route (malformed-json or bad-request).
 */
function finishPublicOperation(operation: OperationObject): void {
  operation.security ??= [];
  operation.responses['400'] ??= {
    description:
      'malformed-json or bad-request: the request sent a body that cannot be read (none is needed)',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/Problem' } } },
  };
}

function listNullInNullableEnums(node: unknown): void {
  if (Array.isArray(node)) {
    for (const entry of node) listNullInNullableEnums(entry);
  } else if (node !== null && typeof node === 'object') {
    const schema = node as { nullable?: boolean; enum?: unknown[] };
    if (schema.nullable === true && Array.isArray(schema.enum) && !schema.enum.includes(null)) {
      schema.enum = [...schema.enum, null];
    }
    for (const value of Object.values(node)) listNullInNullableEnums(value);
  }
}

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json. */
export function setupOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
  });
}
