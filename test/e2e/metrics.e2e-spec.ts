import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, createUser } from '../support/tenant-factory.js';
import { HttpProbeModule } from '../support/probes/http-probe.module.js';

/** Sum of a histogram's _count series whose labels contain all of `labels`. */
function histogramCount(text: string, name: string, labels: Record<string, string>): number {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}_count{`))
    .filter((line) => Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`)))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

describe('GET /metrics', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ imports: [HttpProbeModule] });
  });
  afterAll(() => t.close());

  it('serves the Prometheus text format with default process metrics', async () => {
    const response = await t.http().get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(response.text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
  });

  it('labels request durations by route template, never by raw URL', async () => {
    const before = histogramCount((await t.http().get('/metrics')).text, 'http_request_duration_seconds', {
      route: '/health/ready',
      status: '200',
    });
    await t.http().get('/health/ready').expect(200);
    await t.http().get('/api/no-such-thing-12345').expect(404);
    const text = (await t.http().get('/metrics')).text;
    expect(
      histogramCount(text, 'http_request_duration_seconds', {
        route: '/health/ready',
        status: '200',
        method: 'GET',
      }),
    ).toBe(before + 1);
    expect(
      histogramCount(text, 'http_request_duration_seconds', { route: 'unmatched', status: '404' }),
    ).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain('no-such-thing-12345');
  });

  it('times database queries per pool', async () => {
    await t.http().get('/health/ready').expect(200);
    const text = (await t.http().get('/metrics')).text;
    expect(histogramCount(text, 'db_query_duration_seconds', { pool: 'app', outcome: 'ok' })).toBeGreaterThan(
      0,
    );
    expect(
      histogramCount(text, 'db_query_duration_seconds', { pool: 'maintenance', operation: 'select' }),
    ).toBeGreaterThan(0);
    await t.http().get('/api/probe/bad-cast').expect(400);
    const after = (await t.http().get('/metrics')).text;
    expect(
      histogramCount(after, 'db_query_duration_seconds', { pool: 'app', outcome: 'error' }),
    ).toBeGreaterThan(0);
  });

  it('counts requests per tenant in tenant_requests_total and denials in rbac_denied_total', async () => {
    const tenant = await createTenant(t, 'metrics');
    const counter = await createUser(t, tenant, ['Counter']);
    await t.http().get('/api/auth/me').set('Authorization', `Bearer ${counter.token}`).expect(200);
    await t.http().get('/api/users').set('Authorization', `Bearer ${counter.token}`).expect(403);
    const text = (await t.http().get('/metrics')).text;
    expect(text).toMatch(new RegExp(`^tenant_requests_total\\{tenant_id="${tenant.id}"\\} [1-9]`, 'm'));
    expect(text).toMatch(
      /^rbac_denied_total\{permission="users:read",resource="users",action="read"\} [1-9]/m,
    );
  });

  it('passes promtool check metrics (including the tenant and RBAC counters)', async () => {
    // A tenant request and a denial of the test's own, so that both counters have a series to check.
    const tenant = await createTenant(t, 'promtool');
    const counter = await createUser(t, tenant, ['Counter']);
    await t.http().get('/api/users').set('Authorization', `Bearer ${counter.token}`).expect(403);
    const { text } = await t.http().get('/metrics');
    expect(text).toContain(`tenant_requests_total{tenant_id="${tenant.id}"}`);
    expect(text).toContain('rbac_denied_total{');
    const result = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(result.error).toBeUndefined();
    expect(`${result.stdout}${result.stderr}`.trim()).toBe('');
    expect(result.status).toBe(0);
  });
});
