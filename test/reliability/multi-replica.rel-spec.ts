import { afterAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { receipt } from '../kit/api.js';
import { createFixture, createWebhook } from './support/fixture.js';
import { checkDeliveries, checkLedger, runReconcile } from './support/checks.js';
import { type ReliabilityDatabase, startDatabase } from './support/database.js';
import { WebhookReceiver } from './support/receiver.js';
import { judge, ms, n, writeResult } from './support/results.js';
import { type ServiceProcess, startService } from './support/service.js';
import { Workload, percentile } from './support/workload.js';

/** Schedule windows of 5 s observed (RELIABILITY_REPLICA_WINDOWS, default 6), movement and item keys raced. */
const WINDOWS = Number(process.env.RELIABILITY_REPLICA_WINDOWS ?? 6);
const MOVEMENT_KEYS = 120;
const ITEM_KEYS = 30;
const REPLICAS = 3;
const CLIENTS = 12;
/**
 * The four jobs and their schedule variables: all tick at the start of every 5 s window (second 0, 5, 10, ...),
 * and the window is read 4.8 s after it opens, when each job's run is long done (their durations are reported).
 */
const JOBS: Record<string, string> = {
  'reconcile-balances': 'RECONCILE_CRON',
  'expire-idempotency-keys': 'IDEMPOTENCY_CLEANUP_CRON',
  'purge-webhook-deliveries': 'WEBHOOK_RETENTION_CRON',
  'purge-audit-logs': 'AUDIT_RETENTION_CRON',
};
const EVERY_5_S = '*/5 * * * * *';
const WINDOW_MS = 5000;
const READ_AT_MS = 4800;
/** Windows observed after the kill -9 of a schedule holder. */
const FAILOVER_WINDOWS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Runs = Record<string, Record<string, number>>;

/** The longest last-run duration (job_last_duration_seconds) seen per job, over every read. */
const longestRun: Record<string, number> = {};

/** job -> outcome -> count from one replica's /metrics (job_runs_total{job,outcome}). */
async function jobRuns(replica: ServiceProcess): Promise<Runs> {
  const runs: Runs = {};
  const text = await (await fetch(`${replica.url}/metrics`)).text();
  for (const [, job, value] of text.matchAll(/^job_last_duration_seconds\{job="([^"]*)"\} (\S+)$/gm))
    longestRun[job] = Math.max(longestRun[job] ?? 0, Number(value));
  for (const [, labels, value] of text.matchAll(/^job_runs_total\{([^}]*)\} (\S+)$/gm)) {
    const job = /job="([^"]*)"/.exec(labels)?.[1] ?? '?';
    const outcome = /outcome="([^"]*)"/.exec(labels)?.[1] ?? '?';
    runs[job] ??= {};
    runs[job][outcome] = Number(value);
  }
  return runs;
}

/**
 * Reads every live replica's job runs 4.8 s into each of `windows` 5 s windows and checks each window: every
 * job succeeded once in all and was skipped by every other live replica. Returns the violations, the totals and,
 * per job, the replica that ran it last.
 */
async function watchWindows(
  live: ServiceProcess[],
  windows: number,
  label: string,
): Promise<{ violations: string[]; totals: Runs; lastRunBy: Record<string, ServiceProcess> }> {
  await untilWindowOffset(READ_AT_MS);
  let previous = await Promise.all(live.map(jobRuns));
  const violations: string[] = [];
  const totals: Runs = {};
  const lastRunBy: Record<string, ServiceProcess> = {};
  for (let window = 0; window < windows; window += 1) {
    await untilWindowOffset(READ_AT_MS);
    const current = await Promise.all(live.map(jobRuns));
    for (const job of Object.keys(JOBS)) {
      const delta: Record<string, number> = { succeeded: 0, skipped: 0, failed: 0 };
      live.forEach((replica, i) => {
        for (const outcome of Object.keys(delta)) {
          const step = (current[i][job]?.[outcome] ?? 0) - (previous[i][job]?.[outcome] ?? 0);
          delta[outcome] += step;
          if (outcome === 'succeeded' && step > 0) lastRunBy[job] = replica;
        }
      });
      totals[job] ??= { succeeded: 0, skipped: 0, failed: 0 };
      for (const outcome of Object.keys(delta)) totals[job][outcome] += delta[outcome];
      if (delta.succeeded !== 1 || delta.skipped !== live.length - 1 || delta.failed !== 0)
        violations.push(`${label} window ${window + 1} ${job}: ${JSON.stringify(delta)}`);
    }
    previous = current;
  }
  return { violations, totals, lastRunBy };
}

/** Sleeps until `offset` ms into the next 5 s window of the wall clock (the crons' clock). */
async function untilWindowOffset(offset: number): Promise<void> {
  const now = Date.now();
  const target = Math.floor(now / WINDOW_MS) * WINDOW_MS + offset;
  await sleep((target > now ? target : target + WINDOW_MS) - now);
}

interface RaceAnswer {
  status: number;
  id?: string;
  replayed: boolean;
  inFlight: number;
}

/** One POST with an Idempotency-Key, repeated while the answer is 409 idempotency-in-flight. */
async function postUntilFinal(url: string, token: string, key: string, body: unknown): Promise<RaceAnswer> {
  let inFlight = 0;
  for (;;) {
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const answer = (await response.json()) as { id?: string; type?: string; lines?: unknown[] };
    if (response.status === 409 && answer.type === 'idempotency-in-flight') {
      inFlight += 1;
      await sleep(20);
      continue;
    }
    return {
      status: response.status,
      id: answer.id,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      inFlight,
    };
  }
}

/**
 * Multi-replica: three service processes started together on one empty database (migrations and the first-start
 * bootstrap under advisory locks), all with the schedulers on and four cron jobs every 5 s, all dispatching
 * webhooks. Under load spread over the three: each cron runs exactly once per tick (one `succeeded`, two `skipped`
 * in job_runs_total), each webhook attempt is sent exactly once (the receiver fails the first attempt of every
 * fourth event, so retries are claimed by any replica too), and one Idempotency-Key sent to all three at the same
 * moment makes one movement (or one item).
 */
describe('multi-replica', () => {
  let database: ReliabilityDatabase | undefined;
  let replicas: ServiceProcess[] = [];
  const failsFirst = (webhookId: string) => parseInt(webhookId.replaceAll('-', '').slice(-4), 16) % 4 === 0;
  const receiver = new WebhookReceiver({ failFirstAttempt: failsFirst });

  afterAll(async () => {
    await Promise.all(replicas.map((replica) => replica.stop()));
    await receiver.stop();
    await database?.destroy();
  });

  it(`${REPLICAS} replicas: each cron once per tick, each webhook attempt once, one movement per key`, async () => {
    const began = Date.now();
    await receiver.start();
    database = await startDatabase('multi-replica');
    const env = {
      SCHEDULERS_ENABLED: 'true',
      ...Object.fromEntries(Object.values(JOBS).map((variable) => [variable, EVERY_5_S])),
      WEBHOOK_DISPATCHER_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_RETRY_DELAYS: '200,500,1000',
      WEBHOOK_POLL_INTERVAL_MS: '2000',
    };
    const starting = Date.now();
    replicas = await Promise.all(
      Array.from({ length: REPLICAS }, (_, i) => startService(`replica-${i + 1}`, database!, env)),
    );
    const allReady = Date.now() - starting;
    const fixture = await createFixture(replicas[0].url, 'multi-replica');
    await createWebhook(replicas[0].url, fixture, receiver.url, ['movement.posted', 'inventory.updated'], {
      retryCount: 3,
    });

    let turn = 0;
    const workload = new Workload({
      base: () => replicas[turn++ % REPLICAS].url,
      fixture,
      clients: CLIENTS,
      counts: true,
    });
    workload.start();

    // Idempotency races, while the load runs: the same key and body to every replica at once, twice each.
    const race = {
      movementIds: 0,
      itemIds: 0,
      answers: 0,
      replayed: 0,
      inFlight: 0,
      notCreated: [] as string[],
    };
    const racing = (async () => {
      for (let i = 0; i < MOVEMENT_KEYS + ITEM_KEYS; i += 1) {
        const key = randomUUID();
        const movement = i < MOVEMENT_KEYS;
        const path = movement ? '/api/inventory/movements' : '/api/items';
        const body = movement
          ? receipt([{ itemId: fixture.items[0].id, locationId: fixture.bins[i % 4], qty: '1' }], `race-${i}`)
          : { sku: `RACE-${i}`, name: `Race ${i}`, baseUom: 'ea' };
        const answers = await Promise.all(
          [...replicas, ...replicas].map((replica) =>
            postUntilFinal(`${replica.url}${path}`, fixture.token, key, body),
          ),
        );
        race.answers += answers.length;
        race.replayed += answers.filter((answer) => answer.replayed).length;
        race.inFlight += answers.reduce((sum, answer) => sum + answer.inFlight, 0);
        const ids = new Set(answers.map((answer) => answer.id));
        if (answers.some((answer) => answer.status !== 201) || ids.size !== 1)
          race.notCreated.push(`${path} ${JSON.stringify(answers)}`);
        if (movement) race.movementIds += ids.size;
        else race.itemIds += ids.size;
        if (movement && answers[0].status === 201) {
          // The movement as any client saw it: into the acknowledged ledger with the load's movements.
          const detail = await fetch(`${replicas[0].url}/api/inventory/movements/${answers[0].id}`, {
            headers: { authorization: `Bearer ${fixture.token}` },
          });
          workload.ledger.add((await detail.json()) as { id: string; lines: [] });
        }
      }
    })();

    // Every job's runs, read 4.8 s into each 5 s window: per window one `succeeded` and two `skipped`.
    const watched = await watchWindows(replicas, WINDOWS, 'load');
    const windowsEnd = Date.now();
    await racing;
    await workload.stop();
    const seconds = (workload.stoppedAt - workload.startedAt) / 1000;

    const [{ cronReconciles }] = await database.query<{ cronReconciles: number }>(
      `select count(*)::int as "cronReconciles" from reconciliation_runs
        where trigger = 'cron' and started_at >= to_timestamp($1 / 1000.0) and started_at < to_timestamp($2 / 1000.0)`,
      [windowsEnd - WINDOWS * WINDOW_MS, windowsEnd],
    );
    const [{ raceMovements }] = await database.query<{ raceMovements: number }>(
      `select count(*)::int as "raceMovements" from inventory_movements where tenant_id = $1 and reference like 'race-%'`,
      [fixture.tenantId],
    );
    const [{ raceItems }] = await database.query<{ raceItems: number }>(
      `select count(*)::int as "raceItems" from items where tenant_id = $1 and sku like 'RACE-%'`,
      [fixture.tenantId],
    );
    const ledger = await checkLedger(database, fixture.tenantId, workload.ledger);
    const deliveries = await checkDeliveries(database, fixture.tenantId, receiver, 120_000);
    const attempts = new Map(
      (
        await database.query<{ event: string; attempts: number; successes: number; successIsLast: boolean }>(
          `select d.event_id::text as event, count(a.id)::int as attempts,
                  count(a.id) filter (where a.error is null and a.http_status between 200 and 299)::int as successes,
                  coalesce(max(a.attempt) filter (where a.error is null and a.http_status between 200 and 299)
                           = max(a.attempt), false) as "successIsLast"
             from webhook_deliveries d
             left join webhook_attempts a on a.tenant_id = d.tenant_id and a.delivery_id = d.id
            where d.tenant_id = $1 group by d.event_id`,
          [fixture.tenantId],
        )
      ).map((row) => [row.event, row]),
    );
    // No attempt sent twice (by two replicas): the receiver never saw more requests than attempts were recorded;
    // each event succeeded exactly once, with its last attempt; every earlier attempt failed (the receiver's
    // planned first failure, or a timeout on this busy machine, which is retried as it should be).
    const attemptMismatches = [...attempts]
      .filter(([event, row]) => {
        const received = receiver.requests.get(event) ?? 0;
        return (
          row.successes !== 1 ||
          !row.successIsLast ||
          received > row.attempts ||
          received < 1 ||
          (failsFirst(event) && row.attempts < 2)
        );
      })
      .map(([event, row]) => [event, row.attempts, receiver.requests.get(event) ?? 0]);
    const retried = [...attempts.keys()].filter(failsFirst).length;

    // Failover, with the load stopped and the queue drained: kill -9 the replica that ran reconcile-balances
    // last (it holds that job's schedule lock); at the next tick the survivors elect a holder again, and every
    // tick still runs exactly once (1 succeeded, 1 skipped).
    const victim = watched.lastRunBy['reconcile-balances'];
    const holdersBefore = Object.entries(watched.lastRunBy).map(([job, replica]) => `${job} ${replica.name}`);
    await victim.kill();
    const survivors = replicas.filter((replica) => replica !== victim);
    const failover = await watchWindows(survivors, FAILOVER_WINDOWS, 'after kill -9');
    const holdersAfter = Object.entries(failover.lastRunBy).map(([job, replica]) => `${job} ${replica.name}`);
    const reconcile = runReconcile(database);
    const stats = workload.stats;
    const latencies = workload.latencies();
    const serverErrors = workload.samples.filter((sample) => sample.status >= 500).length;

    const verdict = judge({
      'windows where a job did not run exactly once (1 succeeded, 2 skipped)': [watched.violations, []],
      'windows after the kill where a job did not run exactly once (1 succeeded, 1 skipped)': [
        failover.violations,
        [],
      ],
      'cron reconciliations recorded in the windows': [cronReconciles, WINDOWS],
      'keys that did not give every replica the same 201': [race.notCreated, []],
      'movements of the raced keys': [raceMovements, MOVEMENT_KEYS],
      'items of the raced keys': [raceItems, ITEM_KEYS],
      'webhook events whose attempts were not each sent once': [attemptMismatches, []],
      'events of committed movements not delivered': [deliveries.undelivered, []],
      'deliveries not succeeded': [deliveries.notSucceeded, 0],
      'unexpected answers': [stats.unexpected, []],
      '5xx answers': [serverErrors, 0],
      'acknowledged movements missing from the database': [ledger.missing, []],
      'movements in the database never acknowledged': [ledger.unacknowledged, []],
      'keys whose balance differs from the acknowledged lines': [ledger.keysDifferingFromAcknowledged, []],
      'balances differing from their ledger sum': [ledger.balancesDifferingFromLedger, 0],
      'negative balances': [ledger.negativeBalances, 0],
      'reconcile:balances exit code': [reconcile.exitCode, 0],
      ...(reconcile.exitCode !== 0 && { 'reconcile:balances output': [reconcile.output, ''] }),
      'reconcile:balances drifted keys': [reconcile.drifted, 0],
    });
    const jobLine = Object.entries(watched.totals)
      .map(([job, outcome]) => `${job} ${outcome.succeeded}/${outcome.skipped}/${outcome.failed}`)
      .join(', ');
    writeResult({
      scenario: 'multi-replica',
      order: 4,
      passed: verdict.passed,
      failure: verdict.failure,
      measuredAt: new Date().toISOString(),
      seconds: (Date.now() - began) / 1000,
      load:
        `${REPLICAS} replicas on one database, ${CLIENTS} clients round robin × ${seconds.toFixed(0)} s: ` +
        `${n(stats.requests)} requests, ${n(ledger.acknowledged)} movements; ${Object.keys(JOBS).length} crons every 5 s ` +
        `on every replica; p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`,
      faults:
        `${REPLICAS} processes started together on an empty database (ready in ${(allReady / 1000).toFixed(1)} s); ` +
        `every cron tick raced by ${REPLICAS} schedulers; kill -9 of the replica holding the reconcile schedule`,
      badInputs:
        `${MOVEMENT_KEYS + ITEM_KEYS} Idempotency-Keys each sent to all ${REPLICAS} replicas twice at once (${n(race.answers)} requests): ` +
        `${n(race.replayed)} replays, ${n(race.inFlight)} 409 in-flight retried; ${n(retried)} webhook first attempts failed on purpose`,
      nothingLost:
        `${WINDOWS} + ${FAILOVER_WINDOWS} windows × ${Object.keys(JOBS).length} jobs: ` +
        `${watched.violations.length + failover.violations.length} ticks not run exactly once; ` +
        `${raceMovements}/${MOVEMENT_KEYS} movements and ${raceItems}/${ITEM_KEYS} items for the raced keys; ` +
        `${n(attempts.size - attemptMismatches.length)}/${n(attempts.size)} events with every attempt sent once; ` +
        `${ledger.missing.length} lost, ${reconcile.drifted} drifted`,
      details: [
        `job runs over the ${WINDOWS} windows, succeeded/skipped/failed summed over the replicas: ${jobLine}; ` +
          `${cronReconciles} cron reconciliations recorded; longest runs: ` +
          Object.entries(longestRun)
            .map(([job, seconds]) => `${job} ${ms(seconds * 1000)}`)
            .join(', '),
        `schedule holders (the replica that ran each job last): ${holdersBefore.join(', ')}; after kill -9 of ` +
          `${victim.name}: ${holdersAfter.join(', ')}, ${FAILOVER_WINDOWS} windows with every tick run once by the survivors`,
        `receiver: ${n(receiver.total)} requests for ${n(attempts.size)} events (${n(retried)} answered 500 once, then retried ` +
          `by whichever replica claimed them); queue drained ${ms(deliveries.drainMs)} after the load stopped`,
        `answers by status: ${JSON.stringify(stats.byStatus)}; latency p50 ${ms(percentile(latencies, 50))}, ` +
          `p99 ${ms(percentile(latencies, 99))}, max ${ms(percentile(latencies, 100))}`,
      ],
    });
    expect(verdict.actual).toEqual(verdict.expected);
  });
});
