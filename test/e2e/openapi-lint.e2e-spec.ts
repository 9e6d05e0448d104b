import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ROOT } from '../kit/build.js';
import { startService, type ServiceProcess } from '../kit/test-database-service.js';
import { HTTP_METHODS, operationsOf, type OpenApiDocument } from '../support/openapi-document.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

/** What `redocly lint --format json` prints. */
interface LintReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{
    ruleId: string;
    severity: 'error' | 'warn';
    message: string;
    location: Array<{ pointer?: string }>;
  }>;
}

/**
 * `redocly lint` from node_modules with the repository's redocly.yaml (the recommended ruleset). @redocly/cli
 * ships one bundled binary and no programmatic API, so it runs as a child process, with telemetry and the
 * update check off. It exits non-zero when it finds errors and still prints the JSON report.
 */
function redoclyLint(file: string): Promise<LintReport> {
  const cli = join(ROOT, 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
  const args = [cli, 'lint', file, '--config', join(ROOT, 'redocly.yaml'), '--format', 'json'];
  const env = {
    ...process.env,
    REDOCLY_TELEMETRY: 'off',
    REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true',
    NO_COLOR: '1',
  };
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      args,
      { cwd: ROOT, env, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout.slice(stdout.indexOf('{'))) as LintReport);
        } catch {
          reject(
            new Error(
              `redocly lint printed no JSON report (${error?.message ?? 'exit 0'}):\n${stdout}\n${stderr}`,
            ),
          );
        }
      },
    );
  });
}

/** A GET with a body, which fetch refuses to send. */
function getWithBody(url: string, body: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'GET',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'] ?? '',
            body: text,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/**
 * The document as the built service serves it (`node dist/src/main.js`, GET /docs-json), i.e. what Swagger UI,
 * client generators and API consumers get. Not the in-process test app's: under jest, @nestjs/terminus cannot
 * `require()` the ESM-only @nestjs/swagger, so the health operations miss the responses it documents.
 */
describe('OpenAPI document: redocly lint (recommended rules) and tag order', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let document: OpenApiDocument;
  let directory: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    service = await startService(database);
    const response = await fetch(`${service.url}/docs-json`);
    expect(response.status).toBe(200);
    document = (await response.json()) as OpenApiDocument;
    directory = await mkdtemp(join(tmpdir(), 'openapi-lint-'));
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
    if (directory) await rm(directory, { recursive: true, force: true });
  });

  it('has no errors and no warnings', async () => {
    const file = join(directory, 'openapi.json');
    await writeFile(file, JSON.stringify(document, null, 2));
    const report = await redoclyLint(file);
    const problems = report.problems.map(
      (problem) =>
        `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? '?'}: ${problem.message}`,
    );
    expect(problems).toEqual([]);
    expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
  });

  it('declares every tag the operations use, business first and "operations" last', () => {
    const declared = (document.tags ?? []).map((tag) => tag.name);
    const used = new Set(operationsOf(document).flatMap(({ operation }) => operation.tags ?? []));
    expect([...declared].sort()).toEqual([...used].sort());
    expect(declared.indexOf('inventory')).toBeGreaterThanOrEqual(0);
    expect(declared.indexOf('inventory')).toBeLessThan(declared.indexOf('operations'));
    expect(declared.at(-1)).toBe('operations');
  });

  it('documents the health checks as public, and their 400 is real', async () => {
    for (const path of ['/health', '/health/ready']) {
      const item = document.paths[path];
      expect(HTTP_METHODS.filter((method) => item[method])).toEqual(['get']);
      expect(item.get!.security).toEqual([]);
      expect(Object.keys(item.get!.responses)).toEqual(expect.arrayContaining(['200', '400', '503']));
    }
    const answer = await getWithBody(`${service.url}/health`, '{"unterminated');
    expect(answer.status).toBe(400);
    expect(answer.type).toMatch(/^application\/problem\+json/);
    expect(JSON.parse(answer.body)).toMatchObject({ type: 'malformed-json', status: 400 });
  });
});
