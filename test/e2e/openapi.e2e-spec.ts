import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { compileErrors, validate } from '@readme/openapi-parser';
import type { OpenApiDocument } from '../support/openapi-document.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

describe('OpenAPI', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /docs-json is a valid OpenAPI 3 document', async () => {
    const response = await t.http().get('/docs-json');
    expect(response.status).toBe(200);
    const document = response.body as OpenApiDocument;
    expect(document.openapi).toMatch(/^3\./);
    const result = await validate(structuredClone(document) as never);
    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(result.specification).toBe('OpenAPI');
    expect(Object.keys(document.paths)).toEqual(expect.arrayContaining(['/health', '/health/ready']));
  });

  it('declares the bearer, API-key and tenant security schemes', async () => {
    const { body } = await t.http().get('/docs-json');
    expect(body.components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      tenant: { type: 'apiKey', in: 'header', name: 'X-Tenant-Id' },
    });
  });

  it('names the access rule (permission, platform-admin, authenticated or public) of every operation', async () => {
    const { body } = await t.http().get('/docs-json');
    const operations = Object.entries(
      body.paths as Record<string, Record<string, { 'x-access'?: string }>>,
    ).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, access: operation['x-access'] })),
    );
    expect(operations.filter((operation) => !operation.access)).toEqual([]);
    expect(operations).toEqual(
      expect.arrayContaining([
        { path: '/api/users', method: 'get', access: 'users:read' },
        { path: '/api/tenants', method: 'post', access: 'platform-admin' },
        { path: '/api/auth/login', method: 'post', access: 'public (in the resolved tenant)' },
      ]),
    );
  });

  it('serves Swagger UI at /docs', async () => {
    const response = await t.http().get('/docs').redirects(1);
    expect(response.status).toBe(200);
    expect(response.text).toContain('swagger-ui');
  });
});
