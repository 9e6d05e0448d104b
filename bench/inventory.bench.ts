/**
 * Inventory benchmarks (npm run bench:inventory; not part of npm test). Each figure is reported next to a
 * reference measured in the same run on the same database, and as a ratio:
 *   1. single-line movements/s through the HTTP API vs pgbench inserting the equivalent ledger row (same trigger);
 *   2. ledger lines/s for 100-line movements through the HTTP API (target >= 25,000);
 *   3. balance lookup p50/p99 with 10 million ledger rows vs the same balance computed with SUM over the ledger;
 *   4. full reconciliation of those 10 million rows (target < 60 s);
 *   5. reservations/s through the HTTP API (32 connections, random keys) vs the single-line movements of the same
 *      round (target >= 0.8), and 32 connections reserving one hot key (no error but 409, no deadlock);
 *   6. a checkout-style availability lookup of 50 items at one location with the 10 million rows (p99 < 10 ms at
 *      20 connections, open loop at half the saturated rate): its query by pgbench as the app role, and through
 *      the HTTP API, each saturated and at half load, next to SELECT 1 and GET /health at the same concurrency.
 * It runs the built service (npm run build first) as a child process on its own embedded PostgreSQL under
 * ./data/bench (recreated at every run; test/kit), seeds steady-state data and runs ANALYZE before measuring (on
 * freshly emptied tables, without statistics, throughput measured half as high).
 * Options (environment): BENCH_DURATION_S (default 15), BENCH_LEDGER_ROWS (default 10000000), BENCH_ROUNDS (2),
 * BENCH_NODE_ARGS (node options for the service, space-separated: --cpu-prof --cpu-prof-dir=data/profiles).
 */
import autocannon from 'autocannon';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Pool } from 'undici';
import { projectRoot } from '../src/platform/config/project-paths.js';
import { createItem, createLocation, createTenantWithAdmin, httpApi, receipt } from '../test/kit/api.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../test/kit/embedded-database.js';
import { runBuiltCli, type ServiceProcess, startServiceProcess } from '../test/kit/service-process.js';

/** Where the JSON goes (npm run bench -- --quick sends smoke runs to bench/results/quick, which git ignores). */
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(projectRoot, 'bench', 'results');
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);
const LEDGER_ROWS = Number(process.env.BENCH_LEDGER_ROWS ?? 10_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const ITEMS = 100;
const LOCATIONS = 100;

const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/**
 * An open-loop load: `rate` requests/s for DURATION_S over a pool of 20 connections. Requests leave on a fixed
 * schedule whether or not earlier ones have answered (undici's Pool queues one when all 20 connections are
 * busy) and each latency is measured from its scheduled time, so a stall counts against every request it
 * delays. (autocannon's overallRate is no open loop: each connection sends back to back until its share of the
 * second is spent, then waits for the next second.)
 */
async function openLoop(
  origin: string,
  rate: number,
  request: () => { path: string; headers: Record<string, string> },
): Promise<{ requestsPerSecond: number; p50Ms: number; p99Ms: number }> {
  const pool = new Pool(origin, { connections: 20 });
  const latencies: number[] = [];
  const failures: number[] = [];
  const total = Math.round(rate * DURATION_S);
  const answered: Promise<void>[] = [];
  const started = performance.now();
  for (let i = 0; i < total; i += 1) {
    const scheduled = started + (i * 1000) / rate;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    answered.push(
      pool.request({ method: 'GET', ...request() }).then(async (response) => {
        await response.body.dump();
        if (response.statusCode !== 200) failures.push(response.statusCode);
        latencies.push(performance.now() - scheduled);
      }),
    );
  }
  await Promise.all(answered);
  const elapsedS = (performance.now() - started) / 1000;
  await pool.close();
  if (failures.length > 0)
    throw new Error(`open-loop load: ${failures.length} answers not 200 (${failures[0]})`);
  return { requestsPerSecond: total / elapsedS, p50Ms: median(latencies), p99Ms: percentile(latencies, 99) };
}

async function json<T>(response: Response): Promise<T> {
  if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  const dataDir = join(projectRoot, 'data', 'bench');
  const database: EmbeddedDatabase = await startEmbeddedDatabase(dataDir, { log });
  const benchEnv: Record<string, string> = {
    ...database.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SCHEDULERS_ENABLED: 'false',
    DATABASE_POOL_SIZE: '10',
  };
  let service: ServiceProcess | undefined;
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  try {
    service = await startServiceProcess({
      env: benchEnv,
      nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean),
      inheritOutput: true,
      readyTimeoutMs: 120_000,
    });
    const base = service.url;
    log(`service ready on ${base}`);
    await owner.connect();

    // Tenant, user and master data through the API.
    const api = httpApi(base);
    const slug = `bench-${Date.now()}`;
    const tenant = await createTenantWithAdmin(api, slug, { name: 'Bench' });
    const token = tenant.admin.token;
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
    const items: string[] = [];
    const locations: string[] = [];
    for (let i = 0; i < ITEMS; i += 1)
      items.push(await createItem(api, token, { sku: `B-${i}`, name: `Item ${i}` }));
    for (let i = 0; i < LOCATIONS; i += 1)
      locations.push(await createLocation(api, token, { site: 'Bench', name: `L${i}` }));
    log(`tenant ${slug}: ${ITEMS} items, ${LOCATIONS} locations`);

    // Steady state: 100,000 ledger rows through the trigger, then ANALYZE.
    await owner.query(`select set_config('app.tenant_id', $1, false)`, [tenant.id]);
    await owner.query(`create schema bench`);
    await owner.query(
      `create table bench.keys (n int primary key, item_id uuid not null, location_id uuid not null)`,
    );
    await owner.query(
      `insert into bench.keys select row_number() over ()::int, i, l from unnest($1::uuid[]) i, unnest($2::uuid[]) l`,
      [items, locations],
    );
    // Movements as they really are: a few lines each. (One movement holding every row skews the planner's
    // statistics for movement_id into sequential scans.) bench.movements is the pool pgbench's rows refer to.
    await owner.query(`create table bench.movements (n int primary key, id uuid not null)`);
    await owner.query(
      `insert into bench.movements select g, gen_random_uuid() from generate_series(1, 120000) g`,
    );
    await owner.query(
      `insert into inventory_movements (tenant_id, id, type, occurred_at, created_by_kind, line_count)
       select $1, id, 'receipt', now(), 'system', 5 from bench.movements`,
      [tenant.id],
    );
    await owner.query(
      `insert into inventory_ledger (tenant_id, movement_id, line_no, item_id, location_id, qty_base, qty, uom, type, occurred_at)
       select $1, m.id, 1 + g % 5, k.item_id, k.location_id, 1, 1, 'ea', 'receipt', now()
         from generate_series(0, 99999) g
         join bench.keys k on k.n = 1 + (g % 10000)
         join bench.movements m on m.n = 1 + g / 5`,
      [tenant.id],
    );
    await owner.query(`vacuum analyze`);
    await owner.query(`checkpoint`);
    log('seeded 100,000 ledger rows (steady state), analyzed');

    // 1. pgbench reference vs single-line movements through the API, alternating rounds.
    const script = join(dataDir, 'ledger-insert.sql');
    writeFileSync(
      script,
      `\\set k random(1, ${ITEMS * LOCATIONS})\n` +
        `\\set m random(1, 120000)\n` +
        `INSERT INTO inventory_ledger (tenant_id, movement_id, line_no, item_id, location_id, qty_base, qty, uom, type, occurred_at) ` +
        `SELECT '${tenant.id}', m.id, 1, k.item_id, k.location_id, 1, 1, 'ea', 'receipt', now() ` +
        `FROM bench.keys k, bench.movements m WHERE k.n = :k AND m.n = :m;\n`,
    );
    // A second, finer reference: the same posting called directly (pgbench, no HTTP, no Node): the ratio of the
    // API to it is what the service adds on top of the database's own work.
    const postScript = join(dataDir, 'post-movement.sql');
    writeFileSync(
      postScript,
      `\\set k random(1, ${ITEMS * LOCATIONS})\n` +
        `SELECT post_movement('${tenant.id}', NULL, 'system', NULL, NULL, ` +
        `jsonb_build_object('type', 'receipt', 'lines', jsonb_build_array(jsonb_build_object(` +
        `'itemId', k.item_id, 'locationId', k.location_id, 'qty', '1'))), '{"actorKind":"system","actorName":"bench"}', false) ` +
        `FROM bench.keys k WHERE k.n = :k;\n`,
    );
    const ownerUrl = new URL(database.ownerUrl);
    const pgbenchTps: number[] = [];
    const directPostingTps: number[] = [];
    const singleLine: number[] = [];
    const hundredLine: number[] = [];
    const reservationsPerSecond: number[] = [];
    const random = (list: string[]) => list[Math.floor(Math.random() * list.length)];
    const pgbench = (file: string): number => {
      const result = spawnSync(
        'pgbench',
        [
          '-n',
          '-M',
          'prepared',
          '-c',
          '8',
          '-j',
          '2',
          '-T',
          String(DURATION_S),
          '-f',
          file,
          '-h',
          ownerUrl.hostname,
          '-p',
          ownerUrl.port,
          '-U',
          decodeURIComponent(ownerUrl.username),
          ownerUrl.pathname.slice(1),
        ],
        { env: { ...process.env, PGPASSWORD: decodeURIComponent(ownerUrl.password) }, encoding: 'utf8' },
      );
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1]);
      if (!Number.isFinite(tps)) throw new Error(`pgbench failed: ${result.stderr || result.stdout}`);
      return tps;
    };
    for (let round = 1; round <= ROUNDS; round += 1) {
      const tps = pgbench(script);
      pgbenchTps.push(tps);
      const direct = pgbench(postScript);
      directPostingTps.push(direct);
      log(`round ${round}: post_movement() called by pgbench ${direct.toFixed(0)} tps`);
      log(`round ${round}: pgbench ledger INSERT ${tps.toFixed(0)} tps`);

      const single = await autocannon({
        url: `${base}/api/inventory/movements`,
        connections: 32,
        duration: DURATION_S,
        requests: [
          {
            method: 'POST',
            headers,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify(
                receipt([{ itemId: random(items), locationId: random(locations), qty: 1 }]),
              ),
            }),
          },
        ],
      });
      if (single.non2xx > 0 || single.errors > 0)
        throw new Error(`single-line: ${single.non2xx} non-2xx, ${single.errors} errors`);
      singleLine.push(single.requests.average);
      log(
        `round ${round}: single-line movements ${single.requests.average.toFixed(0)} req/s (p99 ${single.latency.p99} ms)`,
      );

      const reserving = await autocannon({
        url: `${base}/api/inventory/reservations`,
        connections: 32,
        duration: DURATION_S,
        requests: [
          {
            method: 'POST',
            headers,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({
                reference: 'bench',
                lines: [{ itemId: random(items), locationId: random(locations), qty: 1 }],
              }),
            }),
          },
        ],
      });
      if (reserving.non2xx > 0 || reserving.errors > 0)
        throw new Error(`reservations: ${reserving.non2xx} non-2xx, ${reserving.errors} errors`);
      reservationsPerSecond.push(reserving.requests.average);
      log(
        `round ${round}: reservations ${reserving.requests.average.toFixed(0)} req/s (p99 ${reserving.latency.p99} ms)`,
      );

      const hundred = await autocannon({
        url: `${base}/api/inventory/movements`,
        connections: 8,
        duration: DURATION_S,
        requests: [
          {
            method: 'POST',
            headers,
            setupRequest: (request) => {
              const locationId = random(locations);
              return {
                ...request,
                body: JSON.stringify(receipt(items.map((itemId) => ({ itemId, locationId, qty: 1 })))),
              };
            },
          },
        ],
      });
      if (hundred.non2xx > 0 || hundred.errors > 0)
        throw new Error(`100-line: ${hundred.non2xx} non-2xx, ${hundred.errors} errors`);
      hundredLine.push(hundred.requests.average * ITEMS);
      log(
        `round ${round}: 100-line movements ${hundred.requests.average.toFixed(1)} req/s = ${(hundred.requests.average * ITEMS).toFixed(0)} lines/s`,
      );
    }

    // 3 and 4: 10 million ledger rows generated with SQL (balance trigger off, then the backfill rebuilds).
    log(`generating ${LEDGER_ROWS.toLocaleString()} ledger rows with SQL`);
    const generateStarted = Date.now();
    await owner.query(`alter table inventory_ledger disable trigger inventory_ledger_balance`);
    const chunk = 1_000_000;
    for (let done = 0; done < LEDGER_ROWS; done += chunk) {
      const rows = Math.min(chunk, LEDGER_ROWS - done);
      // 100 lines per movement, one movement row each.
      await owner.query(
        `with moves as (
           insert into inventory_movements (tenant_id, id, type, occurred_at, created_by_kind, line_count)
           select $1, gen_random_uuid(), 'adjustment', now(), 'system', 100 from generate_series(1, $2::int / 100)
           returning id
         ), numbered as (select id, row_number() over () - 1 as n from moves)
         insert into inventory_ledger (tenant_id, movement_id, line_no, item_id, location_id, qty_base, qty, uom, type, occurred_at)
         select $1, mv.id, g % 100, k.item_id, k.location_id, q, q, 'ea', 'adjustment', now() - (g || ' seconds')::interval
           from generate_series(0, $2::int - 1) g
           join numbered mv on mv.n = g / 100
           join bench.keys k on k.n = 1 + (g % ${ITEMS * LOCATIONS})
           cross join lateral (
             select ((g % 5) + 1)::numeric / 4 * (case when g % 3 = 0 then -1 else 1 end) as q
           ) qty`,
        [tenant.id, rows],
      );
      log(`  ${(done + rows).toLocaleString()} rows`);
    }
    await owner.query(`alter table inventory_ledger enable trigger inventory_ledger_balance`);
    const backfill = runBuiltCli(['backfill:balances', '--tenant', slug], { env: benchEnv });
    if (backfill.status !== 0) throw new Error(`backfill failed: ${backfill.stderr}${backfill.stdout}`);
    await owner.query(`vacuum analyze inventory_ledger`);
    await owner.query(`vacuum analyze inventory_balances`);
    const [{ ledger_rows }] = (
      await owner.query<{ ledger_rows: string }>(`select count(*)::text as ledger_rows from inventory_ledger`)
    ).rows;
    log(
      `ledger now has ${Number(ledger_rows).toLocaleString()} rows (${((Date.now() - generateStarted) / 1000).toFixed(0)} s incl. backfill)`,
    );

    // 3. Balance lookups: the materialised balance vs the same balance summed from the ledger, as the app role
    // (row-level security on) with prepared statements, then the same two through the HTTP API for context.
    const app = new pg.Client({ connectionString: database.appUrl });
    await app.connect();
    await app.query(`select set_config('app.tenant_id', $1, false)`, [tenant.id]);
    const lookups = 1000;
    const balanceMs: number[] = [];
    const sumMs: number[] = [];
    for (let i = 0; i < lookups; i += 1) {
      const key = [tenant.id, random(items), random(locations)];
      let started = performance.now();
      await app.query({
        name: 'balance',
        text: `select qty from inventory_balances where tenant_id = $1 and item_id = $2 and location_id = $3 and lot_id is null`,
        values: key,
      });
      balanceMs.push(performance.now() - started);
      started = performance.now();
      await app.query({
        name: 'sum',
        text: `select sum(qty_base) from inventory_ledger where tenant_id = $1 and item_id = $2 and location_id = $3 and lot_id is null`,
        values: key,
      });
      sumMs.push(performance.now() - started);
    }
    await app.end();
    const apiBalanceMs: number[] = [];
    const apiSumMs: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const query = `itemId=${random(items)}&locationId=${random(locations)}`;
      let started = performance.now();
      await json(await fetch(`${base}/api/inventory/balances?${query}`, { headers }));
      apiBalanceMs.push(performance.now() - started);
      started = performance.now();
      await json(
        await fetch(
          `${base}/api/inventory/balances?${query}&asOf=${new Date(Date.now() + 3_600_000).toISOString()}`,
          { headers },
        ),
      );
      apiSumMs.push(performance.now() - started);
    }
    log(
      `balance lookup p50 ${median(balanceMs).toFixed(3)} ms p99 ${percentile(balanceMs, 99).toFixed(3)} ms; ` +
        `SUM p50 ${median(sumMs).toFixed(3)} ms p99 ${percentile(sumMs, 99).toFixed(3)} ms; ` +
        `via HTTP ${median(apiBalanceMs).toFixed(2)} ms vs asOf ${median(apiSumMs).toFixed(2)} ms (p50)`,
    );

    // Steady state again after the reservations and movements above (autovacuum would otherwise run during it).
    await owner.query(`vacuum analyze`);
    await owner.query(`checkpoint`);

    // 6. Checkout-style availability lookups of 50 random items at a random location, 20 connections. A closed
    // loop (each connection sends again at once) saturates two cores, and its latency is then Little's law,
    // 20 / throughput, whatever the query costs; so each is measured twice: saturated, for the capacity, and
    // open-loop at half that rate (a checkout service at 50 % utilisation), where p99 is the latency a caller
    // sees. References of the same run at the same concurrency: a trivial SELECT 1 (the query's floor) and
    // GET /health (the HTTP floor).
    await owner.query(
      `create table bench.item_sets (n int primary key, item_ids uuid[] not null, location_id uuid not null)`,
    );
    await owner.query(
      `insert into bench.item_sets
       select g, (select array_agg(i order by random()) from (select i from unnest($1::uuid[]) i order by random() limit 50) s),
              ($2::uuid[])[1 + (random() * (cardinality($2::uuid[]) - 1))::int]
         from generate_series(1, 1000) g`,
      [items, locations],
    );
    await owner.query(`grant usage on schema bench to inventory_app`);
    await owner.query(`grant select on bench.item_sets to inventory_app`);
    const appUrl = new URL(database.appUrl);
    const lookupScript = join(dataDir, 'availability-lookup.sql');
    writeFileSync(
      lookupScript,
      `\\set s random(1, 1000)\n` +
        `SELECT a.item_id, a.location_id, trim_scale(a.on_hand)::text, trim_scale(a.reserved)::text, ` +
        `trim_scale(a.available)::text FROM bench.item_sets s, ` +
        `lookup_availability('${tenant.id}', s.item_ids, ARRAY[s.location_id]) a WHERE s.n = :s ` +
        `ORDER BY a.item_id, a.location_id;\n`,
    );
    const floorScript = join(dataDir, 'select-one.sql');
    writeFileSync(floorScript, 'SELECT 1;\n');
    /** pgbench as the app role in the tenant (row-level security on), 20 clients; per-transaction latencies. */
    const lookupBench = (file: string, rate?: number): { tps: number; p50Ms: number; p99Ms: number } => {
      const logDir = join(dataDir, `pgbench-log-${Date.now()}`);
      mkdirSync(logDir);
      const result = spawnSync(
        'pgbench',
        [
          '-n',
          '-M',
          'prepared',
          '-c',
          '20',
          '-j',
          '2',
          '-T',
          String(DURATION_S),
          '-f',
          file,
          // With --rate, pgbench measures each latency from the transaction's scheduled start (lag included).
          ...(rate ? ['-R', String(Math.round(rate))] : []),
          '-l',
          '--log-prefix',
          join(logDir, 'tx'),
          '-h',
          appUrl.hostname,
          '-p',
          appUrl.port,
          '-U',
          decodeURIComponent(appUrl.username),
          appUrl.pathname.slice(1),
        ],
        {
          env: {
            ...process.env,
            PGPASSWORD: decodeURIComponent(appUrl.password),
            PGOPTIONS: `-c app.tenant_id=${tenant.id}`,
          },
          encoding: 'utf8',
        },
      );
      const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1]);
      if (!Number.isFinite(tps) || !/number of failed transactions: 0 /.test(result.stdout))
        throw new Error(`pgbench failed: ${result.stderr || result.stdout}`);
      const latenciesMs = readdirSync(logDir).flatMap((name) =>
        readFileSync(join(logDir, name), 'utf8')
          .trim()
          .split('\n')
          .map((line) => Number(line.split(' ')[2]) / 1000),
      );
      rmSync(logDir, { recursive: true });
      return { tps, p50Ms: median(latenciesMs), p99Ms: percentile(latenciesMs, 99) };
    };
    const queryFloor = lookupBench(floorScript);
    const querySaturated = lookupBench(lookupScript);
    const queryHalfLoad = lookupBench(lookupScript, querySaturated.tps / 2);
    log(
      `the lookup's query at 20 connections: saturated ${querySaturated.tps.toFixed(0)}/s p99 ` +
        `${querySaturated.p99Ms.toFixed(2)} ms (SELECT 1: ${queryFloor.tps.toFixed(0)}/s p99 ` +
        `${queryFloor.p99Ms.toFixed(2)} ms); at ${(querySaturated.tps / 2).toFixed(0)}/s p50 ` +
        `${queryHalfLoad.p50Ms.toFixed(2)} ms p99 ${queryHalfLoad.p99Ms.toFixed(2)} ms`,
    );

    const checkoutPath = () =>
      `/api/inventory/availability?itemIds=${[...items]
        .sort(() => Math.random() - 0.5)
        .slice(0, 50)
        .join(',')}&locationIds=${random(locations)}`;
    const healthFloor = await autocannon({ url: `${base}/health`, connections: 20, duration: DURATION_S });
    const checkout = await autocannon({
      url: `${base}/api/inventory/availability`,
      connections: 20,
      duration: DURATION_S,
      requests: [
        { method: 'GET', headers, setupRequest: (request) => ({ ...request, path: checkoutPath() }) },
      ],
    });
    if (checkout.non2xx > 0 || checkout.errors > 0)
      throw new Error(`availability lookups: ${checkout.non2xx} non-2xx, ${checkout.errors} errors`);
    const checkoutHalfLoad = await openLoop(base, checkout.requests.average / 2, () => ({
      path: checkoutPath(),
      headers,
    }));
    // An ordinary authenticated list at the same rate: what any authenticated request's tail is.
    const itemsHalfLoad = await openLoop(base, checkout.requests.average / 2, () => ({
      path: '/api/items?limit=50',
      headers,
    }));
    // The floor of that tail: GET /health at the same rate, on the same schedule (load generator included).
    const healthHalfLoad = await openLoop(base, checkout.requests.average / 2, () => ({
      path: '/health',
      headers: {},
    }));
    log(
      `checkout lookups of 50 items through HTTP at 20 connections: saturated ${checkout.requests.average.toFixed(0)} ` +
        `req/s p99 ${checkout.latency.p99} ms (GET /health ${healthFloor.requests.average.toFixed(0)} req/s p99 ` +
        `${healthFloor.latency.p99} ms); at ${checkoutHalfLoad.requestsPerSecond.toFixed(0)} req/s p50 ` +
        `${checkoutHalfLoad.p50Ms.toFixed(2)} ms p99 ${checkoutHalfLoad.p99Ms.toFixed(2)} ms (GET /health at that ` +
        `rate: p50 ${healthHalfLoad.p50Ms.toFixed(2)} ms p99 ${healthHalfLoad.p99Ms.toFixed(2)} ms; GET /api/items: ` +
        `p50 ${itemsHalfLoad.p50Ms.toFixed(2)} ms p99 ${itemsHalfLoad.p99Ms.toFixed(2)} ms)`,
    );

    // 5b. One hot key: 32 connections reserving the same item at the same location (a million units there).
    const hot = { itemId: items[0], locationId: locations[0] };
    await json(
      await fetch(`${base}/api/inventory/movements`, {
        method: 'POST',
        headers,
        body: JSON.stringify(receipt([{ ...hot, qty: 1_000_000 }])),
      }),
    );
    const hotStatuses: Record<string, number> = {};
    const hotKey = await autocannon({
      url: `${base}/api/inventory/reservations`,
      connections: 32,
      duration: DURATION_S,
      requests: [
        { method: 'POST', headers, body: JSON.stringify({ reference: 'hot', lines: [{ ...hot, qty: 1 }] }) },
      ],
    });
    for (const [status, count] of Object.entries(hotKey.statusCodeStats ?? {}))
      hotStatuses[status] = (count as { count: number }).count;
    const hotErrors = Object.keys(hotStatuses).filter((status) => status !== '201' && status !== '409');
    if (hotKey.errors > 0 || hotErrors.length > 0)
      throw new Error(`hot key: ${hotKey.errors} errors, statuses ${JSON.stringify(hotStatuses)}`);
    log(
      `hot key: ${hotKey.requests.average.toFixed(0)} reservations/s, statuses ${JSON.stringify(hotStatuses)}`,
    );

    // 4. Full reconciliation over every tenant (the 10 million rows and the rest).
    const reconcileStarted = Date.now();
    const reconcile = runBuiltCli(['reconcile:balances'], { env: benchEnv });
    const reconcileSeconds = (Date.now() - reconcileStarted) / 1000;
    if (reconcile.status !== 0)
      throw new Error(`reconciliation reported drift or failed: ${reconcile.stdout}${reconcile.stderr}`);
    log(`full reconciliation: ${reconcileSeconds.toFixed(1)} s (process start included)`);

    const results = {
      measuredAt: new Date().toISOString(),
      machine: 'see docs/performance.md',
      durationSeconds: DURATION_S,
      rounds: ROUNDS,
      singleLineMovements: {
        httpRequestsPerSecond: singleLine,
        pgbenchLedgerInsertTps: pgbenchTps,
        ratio: median(singleLine) / median(pgbenchTps),
        directPostMovementTps: directPostingTps,
        ratioToDirectPosting: median(singleLine) / median(directPostingTps),
        directPostingRatioToLedgerInsert: median(directPostingTps) / median(pgbenchTps),
        target: '>= 0.35',
      },
      hundredLineMovements: { linesPerSecond: hundredLine, median: median(hundredLine), target: '>= 25000' },
      balanceLookup: {
        ledgerRows: Number(ledger_rows),
        balanceP50Ms: median(balanceMs),
        balanceP99Ms: percentile(balanceMs, 99),
        sumOverLedgerP50Ms: median(sumMs),
        sumOverLedgerP99Ms: percentile(sumMs, 99),
        speedupP50: median(sumMs) / median(balanceMs),
        speedupP99: percentile(sumMs, 99) / percentile(balanceMs, 99),
        httpBalanceP50Ms: median(apiBalanceMs),
        httpBalanceP99Ms: percentile(apiBalanceMs, 99),
        httpAsOfP50Ms: median(apiSumMs),
        httpAsOfP99Ms: percentile(apiSumMs, 99),
        target: 'p99 < 10 ms and >= 10x faster',
      },
      fullReconciliation: { seconds: reconcileSeconds, ledgerRows: Number(ledger_rows), target: '< 60 s' },
      reservations: {
        httpRequestsPerSecond: reservationsPerSecond,
        singleLineMovementsPerSecond: singleLine,
        ratio: median(reservationsPerSecond) / median(singleLine),
        target: '>= 0.8',
        hotKey: {
          requestsPerSecond: hotKey.requests.average,
          statuses: hotStatuses,
          p99Ms: hotKey.latency.p99,
        },
      },
      checkoutLookup: {
        items: 50,
        connections: 20,
        ledgerRows: Number(ledger_rows),
        query: {
          saturated: querySaturated,
          halfLoad: { rate: querySaturated.tps / 2, ...queryHalfLoad },
          selectOneSaturated: queryFloor,
        },
        http: {
          saturated: {
            requestsPerSecond: checkout.requests.average,
            p50Ms: checkout.latency.p50,
            p99Ms: checkout.latency.p99,
          },
          halfLoad: checkoutHalfLoad,
          healthSaturated: {
            requestsPerSecond: healthFloor.requests.average,
            p99Ms: healthFloor.latency.p99,
          },
          healthHalfLoad,
          itemsListHalfLoad: itemsHalfLoad,
        },
        target: 'p99 < 10 ms at 20 connections, at half the saturated rate (open loop)',
      },
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `inventory-${results.measuredAt.slice(0, 19).replaceAll(':', '')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const table = [
      ['measure', 'value', 'reference', 'ratio / target'],
      [
        'single-line movements (HTTP)',
        `${median(singleLine).toFixed(0)} req/s`,
        `pgbench ${median(pgbenchTps).toFixed(0)} tps`,
        `${results.singleLineMovements.ratio.toFixed(3)} (>= 0.35)`,
      ],
      ['100-line movements (HTTP)', `${median(hundredLine).toFixed(0)} lines/s`, '', '>= 25,000'],
      [
        'balance lookup p50 / p99',
        `${median(balanceMs).toFixed(2)} / ${percentile(balanceMs, 99).toFixed(2)} ms`,
        `SUM ${median(sumMs).toFixed(2)} / ${percentile(sumMs, 99).toFixed(2)} ms`,
        `${results.balanceLookup.speedupP50.toFixed(1)}x (p99 < 10 ms, >= 10x)`,
      ],
      [
        'reservations (HTTP)',
        `${median(reservationsPerSecond).toFixed(0)} req/s`,
        `movements ${median(singleLine).toFixed(0)} req/s`,
        `${results.reservations.ratio.toFixed(3)} (>= 0.8)`,
      ],
      [
        'hot-key reservations',
        `${hotKey.requests.average.toFixed(0)} req/s`,
        JSON.stringify(hotStatuses),
        'only 201/409',
      ],
      [
        'checkout lookup, 50 items: query, half load',
        `p50 ${queryHalfLoad.p50Ms.toFixed(2)} / p99 ${queryHalfLoad.p99Ms.toFixed(2)} ms`,
        `${(querySaturated.tps / 2).toFixed(0)}/s of ${querySaturated.tps.toFixed(0)}/s, 20 connections`,
        'p99 < 10 ms',
      ],
      [
        'checkout lookup, 50 items: query, saturated',
        `p99 ${querySaturated.p99Ms.toFixed(2)} ms`,
        `SELECT 1 p99 ${queryFloor.p99Ms.toFixed(2)} ms, ${queryFloor.tps.toFixed(0)}/s`,
        '',
      ],
      [
        'checkout lookup, 50 items: HTTP, half load',
        `p50 ${checkoutHalfLoad.p50Ms.toFixed(2)} / p99 ${checkoutHalfLoad.p99Ms.toFixed(2)} ms`,
        `${checkoutHalfLoad.requestsPerSecond.toFixed(0)} of ${checkout.requests.average.toFixed(0)} req/s; ` +
          `GET /health then p99 ${healthHalfLoad.p99Ms.toFixed(2)} ms`,
        'p99 < 10 ms',
      ],
      [
        'checkout lookup, 50 items: HTTP, saturated',
        `p99 ${checkout.latency.p99} ms`,
        `GET /health p99 ${healthFloor.latency.p99} ms, ${healthFloor.requests.average.toFixed(0)} req/s`,
        '',
      ],
      [
        'full reconciliation',
        `${reconcileSeconds.toFixed(1)} s`,
        `${Number(ledger_rows).toLocaleString()} rows`,
        '< 60 s',
      ],
    ];
    const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
    for (const row of table)
      process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')}\n`);
    log(`results written to ${file}`);
  } finally {
    await owner.end().catch(() => undefined);
    await service?.stop();
    await database.stop();
  }
}

await main();
