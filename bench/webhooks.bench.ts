/**
 * Webhook delivery benchmark (npm run bench:webhooks; not part of npm test). The built service runs as a child
 * process on its own embedded PostgreSQL under ./data/bench-webhooks (recreated at every run; test/kit), with the
 * dispatcher on and one endpoint per receiver pointing at a node:http server on 127.0.0.1 that answers 200 at
 * once. Events are written into the outbox the way the service writes them (the fan-out trigger creates the
 * deliveries and notifies the dispatcher).
 *   1. Throughput: a backlog of BENCH_WEBHOOK_EVENTS events delivered as fast as the dispatcher can; reference:
 *      the same receiver driven by autocannon with the same POST body (what loopback HTTP allows on this machine).
 *   2. Latency: a steady BENCH_WEBHOOK_RATE events/s for BENCH_DURATION_S, committed in small transactions;
 *      commit-to-delivery latency p50/p95 (commit time stamped by the writer after COMMIT returned).
 * Targets (issue 7): >= 500 deliveries/s and p95 < 500 ms.
 */
import autocannon from 'autocannon';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { projectRoot } from '../src/platform/config/project-paths.js';
import { createTenantWithAdmin, createWebhook, httpApi } from '../test/kit/api.js';
import { startEmbeddedDatabase } from '../test/kit/embedded-database.js';
import { type ServiceProcess, startServiceProcess } from '../test/kit/service-process.js';

/** Where the JSON goes (npm run bench -- --quick sends smoke runs to bench/results/quick, which git ignores). */
const resultsDir = process.env.BENCH_RESULTS_DIR ?? join(projectRoot, 'bench', 'results');
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 20_000);
const RATE = Number(process.env.BENCH_WEBHOOK_RATE ?? 500);
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 15);

const log = (message: string) =>
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** A receiver that answers 200 at once and remembers when each webhook-id arrived first. */
class Receiver {
  readonly arrivals = new Map<string, number>();
  requests = 0;
  private server?: Server;
  port = 0;

  async start(): Promise<void> {
    this.server = createHttpServer((request, response) => {
      const id = request.headers['webhook-id'];
      request.resume();
      request.on('end', () => {
        this.requests += 1;
        if (typeof id === 'string' && !this.arrivals.has(id)) this.arrivals.set(id, Date.now());
        response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    this.server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    this.port = typeof address === 'object' && address ? address.port : 0;
  }

  async waitFor(ids: Iterable<string>, timeoutMs: number): Promise<void> {
    const wanted = [...ids];
    const deadline = Date.now() + timeoutMs;
    while (wanted.some((id) => !this.arrivals.has(id))) {
      if (Date.now() > deadline) {
        const missing = wanted.filter((id) => !this.arrivals.has(id)).length;
        throw new Error(`${missing} of ${wanted.length} events not delivered within ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  stop(): Promise<void> {
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

async function main(): Promise<void> {
  const database = await startEmbeddedDatabase(join(projectRoot, 'data', 'bench-webhooks'), { log });
  const receiver = new Receiver();
  await receiver.start();
  let service: ServiceProcess | undefined;
  const owner = new pg.Client({ connectionString: database.ownerUrl });
  try {
    service = await startServiceProcess({
      env: {
        ...database.env,
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
        SCHEDULERS_ENABLED: 'false',
        DATABASE_POOL_SIZE: '10',
      },
      inheritOutput: true,
      readyTimeoutMs: 120_000,
    });
    log(`service ready on ${service.url}, receiver on 127.0.0.1:${receiver.port}`);
    await owner.connect();

    const api = httpApi(service.url);
    const slug = `bench-${Date.now()}`;
    const tenant = await createTenantWithAdmin(api, slug, { name: 'Bench' });
    await createWebhook(api, tenant.admin.token, {
      name: 'bench receiver',
      url: `http://127.0.0.1:${receiver.port}/hook`,
      events: ['item.updated'],
    });
    log(`tenant ${slug} with one endpoint subscribed to item.updated`);

    const payload = { id: randomUUID(), sku: 'BENCH-1', name: 'Bench item', baseUom: 'ea', archived: false };
    /** Writes `count` events in one transaction; resolves to their ids and the time COMMIT returned. */
    const writeEvents = async (count: number): Promise<{ ids: string[]; committedAt: number }> => {
      await owner.query('begin');
      await owner.query(`select set_config('app.tenant_id', $1, true)`, [tenant.id]);
      const { rows } = await owner.query<{ id: string }>(
        `insert into outbox_events (tenant_id, type, payload)
         select $1, 'item.updated', $2::jsonb from generate_series(1, $3) returning id`,
        [tenant.id, JSON.stringify(payload), count],
      );
      await owner.query('commit');
      return { ids: rows.map((row) => row.id), committedAt: Date.now() };
    };

    // Reference: the receiver's own capacity for the same request, from autocannon on this machine.
    const body = JSON.stringify({
      id: randomUUID(),
      type: 'item.updated',
      tenantId: tenant.id,
      createdAt: new Date().toISOString(),
      data: payload,
    });
    const reference = await autocannon({
      url: `http://127.0.0.1:${receiver.port}/hook`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'webhook-id': 'reference' },
      body,
      connections: 8,
      duration: 5,
    });
    const referenceRps = reference.requests.average;
    log(`reference: loopback receiver takes ${referenceRps.toFixed(0)} POST/s (autocannon, 8 connections)`);

    // 1. Throughput: a backlog, delivered as fast as possible.
    const backlog: string[] = [];
    const backlogStarted = Date.now();
    for (let written = 0; written < EVENTS; written += 1000) {
      backlog.push(...(await writeEvents(Math.min(1000, EVENTS - written))).ids);
    }
    await receiver.waitFor(backlog, 300_000);
    const lastArrival = Math.max(...backlog.map((id) => receiver.arrivals.get(id)!));
    const throughput = EVENTS / ((lastArrival - backlogStarted) / 1000);
    log(
      `throughput: ${EVENTS} events delivered in ${((lastArrival - backlogStarted) / 1000).toFixed(1)} s = ${throughput.toFixed(0)}/s`,
    );

    // 2. Latency at a steady rate: 20 transactions per second of RATE/20 events each.
    const latencies: number[] = [];
    const perTick = Math.max(1, Math.round(RATE / 20));
    const steady: Array<{ ids: string[]; committedAt: number }> = [];
    const steadyStarted = Date.now();
    for (let tick = 0; tick < DURATION_S * 20; tick += 1) {
      const due = steadyStarted + tick * 50;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      steady.push(await writeEvents(perTick));
    }
    const steadyIds = steady.flatMap((batch) => batch.ids);
    await receiver.waitFor(steadyIds, 120_000);
    for (const batch of steady) {
      for (const id of batch.ids) latencies.push(receiver.arrivals.get(id)! - batch.committedAt);
    }
    const offeredRate = steadyIds.length / ((Date.now() - steadyStarted) / 1000);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const p99 = percentile(latencies, 99);
    log(`latency at ${RATE}/s for ${DURATION_S} s: p50 ${p50} ms, p95 ${p95} ms, p99 ${p99} ms`);

    const [{ duplicates }] = (
      await owner.query<{ duplicates: number }>(
        `select (count(*) - count(distinct (delivery_id, attempt)))::int as duplicates from webhook_attempts`,
      )
    ).rows;

    const results = {
      measuredAt: new Date().toISOString(),
      machine: 'see docs/performance.md',
      throughput: {
        events: EVENTS,
        deliveriesPerSecond: throughput,
        referenceReceiverPostsPerSecond: referenceRps,
        ratio: throughput / referenceRps,
        target: '>= 500 deliveries/s',
      },
      latency: {
        rate: RATE,
        seconds: DURATION_S,
        events: steadyIds.length,
        commitToDeliveryP50Ms: p50,
        commitToDeliveryP95Ms: p95,
        commitToDeliveryP99Ms: p99,
        target: 'p95 < 500 ms',
      },
      receiverRequests: receiver.requests,
      duplicateAttempts: duplicates,
    };
    mkdirSync(resultsDir, { recursive: true });
    const file = join(resultsDir, `webhooks-${results.measuredAt.slice(0, 19).replaceAll(':', '')}.json`);
    writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
    const table = [
      ['measure', 'value', 'reference', 'ratio / target'],
      [
        'deliveries/s (backlog)',
        `${throughput.toFixed(0)}/s`,
        `receiver ${referenceRps.toFixed(0)} POST/s`,
        `${results.throughput.ratio.toFixed(3)} (>= 500/s)`,
      ],
      [
        `commit-to-delivery at ${offeredRate.toFixed(0)}/s`,
        `p50 ${p50} ms, p95 ${p95} ms`,
        `p99 ${p99} ms`,
        'p95 < 500 ms',
      ],
    ];
    const widths = table[0].map((_, column) => Math.max(...table.map((row) => row[column].length)));
    for (const row of table)
      process.stdout.write(`${row.map((cell, column) => cell.padEnd(widths[column])).join(' | ')}\n`);
    log(`results written to ${file}`);
  } finally {
    await owner.end().catch(() => undefined);
    await service?.stop();
    await receiver.stop();
    await database.stop();
  }
}

await main();
