/**
 * Framework overhead, start time and memory (npm run bench:framework, and a stage of npm run bench). The built
 * service runs as a child process on its own embedded PostgreSQL under ./data/bench-framework (recreated at
 * every run):
 *   1. start to /health/ready: cold (new cluster, every migration) and warm (the same cluster again);
 *   2. requests/s of GET /health (the whole HTTP stack, no database) vs a bare node:http server answering the
 *      same JSON in the same process tree (the reference: what Node itself does on this machine);
 *   3. requests/s of an authenticated GET /api/items (JWT, row-level-security transaction, one query), with the
 *      service's RSS before and at its peak under that load.
 * Options (environment): BENCH_DURATION_S (default 10).
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { projectRoot } from '../src/platform/config/project-paths.js';

/** Where the JSON goes (npm run bench -- --quick sends smoke runs to bench/results/quick, which git ignores). */
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(projectRoot, 'bench', 'results');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);
const ADMIN_PASSWORD = 'bench-platform-admin-password';

const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

function rssOf(pid: number): number {
  const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kilobytes) * 1024;
}

async function main(): Promise<void> {
  const dataDir = join(projectRoot, 'data', 'bench-framework');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const benchEnv: Record<string, string> = {
    NODE_ENV: 'production',
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    EMBEDDED_PG_DATA_DIR: join(dataDir, 'postgres'),
    EMBEDDED_PG_PORT: '54342',
    DATABASE_APP_PASSWORD: 'bench-app-password-0123456789',
    JWT_SECRET: 'bench-jwt-secret-0123456789abcdefghijklmnop',
    WEBHOOK_SECRET_KEY: 'bench-webhook-secret-key-0123456789abcdef',
    BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
    THROTTLE_LIMIT: '1000000000',
    SCHEDULERS_ENABLED: 'false',
    DATABASE_POOL_SIZE: '10',
  };
  const base = `http://127.0.0.1:${port}`;

  /** Starts the service (which starts or joins its embedded PostgreSQL) and times it to ready. */
  const start = async (): Promise<{ child: ChildProcess; ms: number }> => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(projectRoot, 'dist/src/main.js')], {
      env: { ...process.env, ...benchEnv },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    for (;;) {
      const ready = await fetch(`${base}/health/ready`).catch(() => undefined);
      if (ready?.status === 200) break;
      if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}`);
      if (performance.now() - started > 120_000) throw new Error('service did not become ready in 120 s');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return { child, ms: performance.now() - started };
  };
  const stop = async (child: ChildProcess) => {
    if (child.exitCode !== null) return;
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
  };

  // 1. Cold start (the service initialises the embedded cluster and migrates), then a warm start.
  const cold = await start();
  log(`cold start to ready: ${cold.ms.toFixed(0)} ms (new cluster, all migrations)`);
  await stop(cold.child);
  const warm = await start();
  log(`warm start to ready: ${warm.ms.toFixed(0)} ms`);
  // The service started the embedded server itself and stops it when it exits.
  const service = warm.child;
  try {
    // 2. The HTTP stack without the database vs bare node:http.
    const bare = createHttpServer((_request, response) => {
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"status":"ok","info":{},"error":{},"details":{}}');
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const barePort = (bare.address() as { port: number }).port;
    const reference = await autocannon({
      url: `http://127.0.0.1:${barePort}/`,
      connections: 32,
      duration: DURATION_S,
    });
    bare.close();
    log(`reference: bare node:http ${reference.requests.average.toFixed(0)} req/s`);
    const health = await autocannon({ url: `${base}/health`, connections: 32, duration: DURATION_S });
    if (health.non2xx > 0) throw new Error(`GET /health: ${health.non2xx} non-2xx`);
    log(`GET /health through the service: ${health.requests.average.toFixed(0)} req/s`);

    // 3. An authenticated read with its tenant transaction; RSS under that load.
    const login = async (tenant: string, email: string, password: string) => {
      const response = await fetch(`${base}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tenant-id': tenant },
        body: JSON.stringify({ email, password }),
      });
      if (!response.ok) throw new Error(`login: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { accessToken: string }).accessToken;
    };
    const token = await login('default', 'admin@example.com', ADMIN_PASSWORD);
    const rssBefore = rssOf(service.pid!);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, rssOf(service.pid!))), 100);
    const items = await autocannon({
      url: `${base}/api/items?limit=10`,
      connections: 32,
      duration: DURATION_S,
      headers: { authorization: `Bearer ${token}` },
    });
    clearInterval(sampler);
    if (items.non2xx > 0) throw new Error(`GET /api/items: ${items.non2xx} non-2xx`);
    log(
      `GET /api/items (JWT, tenant transaction): ${items.requests.average.toFixed(0)} req/s, p99 ${items.latency.p99} ms; ` +
        `RSS ${(rssBefore / 2 ** 20).toFixed(0)} MiB before, ${(rssPeak / 2 ** 20).toFixed(0)} MiB peak`,
    );

    const results = {
      measuredAt: new Date().toISOString(),
      durationSeconds: DURATION_S,
      start: { coldMs: cold.ms, warmMs: warm.ms },
      http: {
        bareNodeHttpRequestsPerSecond: reference.requests.average,
        healthRequestsPerSecond: health.requests.average,
        ratio: health.requests.average / reference.requests.average,
        authenticatedListRequestsPerSecond: items.requests.average,
        authenticatedListP99Ms: items.latency.p99,
      },
      memory: { rssBeforeBytes: rssBefore, rssPeakUnderLoadBytes: rssPeak },
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `framework-${results.measuredAt.slice(0, 19).replaceAll(':', '')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    log(`results written to ${file}`);
  } finally {
    await stop(service);
  }
}

await main();
