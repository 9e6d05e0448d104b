import type { INestApplication } from '@nestjs/common';
import {
  DocumentBuilder,
  SwaggerModule,
  type OpenAPIObject,
  type OperationObject,
  type SchemaObject,
} from '@nestjs/swagger';
import { PROBLEM_CONTENT_TYPE } from './common/problem-details/problem-details.js';

export const SECURITY = { bearer: 'bearer', apiKey: 'api-key', tenant: 'tenant' } as const;

export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Inventory Enterprise API')
    .setDescription(
      'Multi-tenant inventory: items, locations, an append-only stock ledger with database-kept balances, ' +
        'physical counts and signed webhooks. Errors are RFC 9457 application/problem+json.',
    )
    .setVersion('1')
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
    )
    .build();
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
 *   Public operations (health) answer in their own formats and are left alone.
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
      if (!operation || (operation as OperationObject & { 'x-access'?: string })['x-access'] === 'public') {
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
