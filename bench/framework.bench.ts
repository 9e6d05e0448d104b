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
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { projectRoot } from '../src/platform/config/project-paths.js';
import { freePort } from '../test/support/free-port.js';
import { httpApi, platformLogin } from '../test/kit/api.js';
import { type ServiceProcess, startServiceProcess } from '../test/kit/service-process.js';
import { STANDALONE_ENV } from '../test/kit/standalone-env.js';

/** Where the JSON goes (npm run bench -- --quick sends smoke runs to bench/results/quick, which git ignores). */
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(projectRoot, 'bench', 'results');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 10);

const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

async function main(): Promise<void> {
  const dataDir = join(projectRoot, 'data', 'bench-framework');
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  // No DATABASE_URL: the service starts its embedded PostgreSQL itself (cold: initdb and every migration).
  const benchEnv: Record<string, string> = {
    ...STANDALONE_ENV,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    EMBEDDED_PG_DATA_DIR: join(dataDir, 'postgres'),
    EMBEDDED_PG_PORT: String(await freePort()),
    SCHEDULERS_ENABLED: 'false',
    DATABASE_POOL_SIZE: '10',
  };
  const port = await freePort();
  /** Starts the service on the same port each time; readyAfterMs is the start time. */
  const start = (): Promise<ServiceProcess> =>
    startServiceProcess({ env: benchEnv, port, inheritOutput: true, readyTimeoutMs: 120_000, pollMs: 20 });

  // 1. Cold start (the service initialises the embedded cluster and migrates), then a warm start.
  const cold = await start();
  log(`cold start to ready: ${cold.readyAfterMs.toFixed(0)} ms (new cluster, all migrations)`);
  await cold.stop();
  const warm = await start();
  log(`warm start to ready: ${warm.readyAfterMs.toFixed(0)} ms`);
  // The service started the embedded server itself and stops it when it exits.
  const service = warm;
  const base = service.url;
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
    const token = await platformLogin(httpApi(base));
    const rssBefore = service.rss();
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, service.rss())), 100);
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
      start: { coldMs: cold.readyAfterMs, warmMs: warm.readyAfterMs },
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
    await service.stop();
  }
}

await main();
