import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { bodyOf } from '../support/api-body.js';
import type { Problem } from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { HttpProbeModule } from '../support/probes/http-probe.module.js';

const PROBLEM_JSON = /^application\/problem\+json/;

describe('errors are RFC 9457 problem+json', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [HttpProbeModule], env: { BODY_LIMIT: '2kb' } });
  });
  afterAll(() => t.close());

  it('reports malformed JSON as 400 malformed-json', async () => {
    const response = await t
      .http()
      .post('/api/probe/documents')
      .set('Content-Type', 'application/json')
      .send('{"type": "receipt", "lines": [');
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ type: 'malformed-json', status: 400, title: 'Malformed JSON' });
  });

  it('reports an unknown route as 404 route-not-found', async () => {
    const response = await t.http().get('/api/does-not-exist');
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({
      type: 'route-not-found',
      status: 404,
      instance: '/api/does-not-exist',
    });
  });

  it.each(['/', '/favicon.ico', '/healthz'])(
    'answers the unknown path %s outside /api with problem+json 404',
    async (path) => {
      const response = await t.http().get(path);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
      expect(response.body).toMatchObject({ type: 'route-not-found', status: 404, instance: path });
    },
  );

  it('rejects a body over BODY_LIMIT with 413 before any handler runs', async () => {
    const lines = Array.from({ length: 100 }, () => ({
      itemId: '00000000-0000-4000-8000-000000000000',
      qty: '1',
    }));
    const response = await t.http().post('/api/probe/documents').send({ type: 'receipt', lines });
    expect(response.status).toBe(413);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ type: 'payload-too-large', status: 413 });
    expect(response.body.detail).toContain('2048');
  });

  it('lists every invalid field, nested ones with their path', async () => {
    const response = await t
      .http()
      .post('/api/probe/documents')
      .send({
        type: 'gift',
        reference: 'x'.repeat(11),
        lines: [
          { itemId: 'nope', qty: 'ten' },
          { itemId: '00000000-0000-4000-8000-000000000000', qty: '1' },
        ],
        extra: true,
      });
    expect(response.status).toBe(400);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    const problem = bodyOf<Problem>(response);
    expect(problem.type).toBe('validation-failed');
    const fields = problem.errors!.map((error) => error.field).sort();
    expect(fields).toEqual(['extra', 'lines[0].itemId', 'lines[0].qty', 'reference', 'type']);
  });

  it('accepts a valid body', async () => {
    const response = await t
      .http()
      .post('/api/probe/documents')
      .send({ type: 'receipt', lines: [{ itemId: '00000000-0000-4000-8000-000000000000', qty: '2.5' }] });
    expect(response.status).toBe(201);
    expect(response.body).toEqual({ lines: 1 });
  });

  it('answers an unexpected error with a generic 500 that leaks nothing, quoting the request id', async () => {
    const response = await t.http().get('/api/probe/crash').set('X-Request-Id', 'trace-500-abc');
    expect(response.status).toBe(500);
    expect(response.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(response.body).toMatchObject({ type: 'internal-error', requestId: 'trace-500-abc' });
    expect(JSON.stringify(response.body)).not.toMatch(/hunter2|secret|at .*\.ts/);
  });

  it('maps PostgreSQL invalid text (22P02) to 400 without echoing SQL', async () => {
    const response = await t.http().get('/api/probe/bad-cast');
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ type: 'invalid-value', status: 400 });
    expect(JSON.stringify(response.body)).not.toMatch(/select|not a number/i);
  });

  it('maps a unique violation (23505) to 409 conflict', async () => {
    const response = await t.http().get('/api/probe/unique-violation');
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ type: 'conflict', status: 409 });
  });

  it('echoes a sane X-Request-Id and replaces an unsafe one', async () => {
    const echoed = await t.http().get('/health').set('X-Request-Id', 'abc-123');
    expect(echoed.headers['x-request-id']).toBe('abc-123');
    const replaced = await t.http().get('/health').set('X-Request-Id', 'bad id\twith spaces');
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await t.http().get('/health');
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('sets helmet security headers and no x-powered-by', async () => {
    const response = await t.http().get('/health');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['x-powered-by']).toBeUndefined();
  });
});

describe('CORS', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ env: { CORS_ORIGIN: 'https://ops.example.com' } });
  });
  afterAll(() => t.close());

  it('allows the configured origin only', async () => {
    const allowed = await t.http().get('/health').set('Origin', 'https://ops.example.com');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://ops.example.com');
    const other = await t.http().get('/health').set('Origin', 'https://evil.example.com');
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });
});
