import { afterAll, describe, expect, it } from '@jest/globals';
import { createFixture, createWebhook } from './support/fixture.js';
import { checkDeliveries, checkLedger, runReconcile } from './support/checks.js';
import { type ReliabilityDatabase, startDatabase } from './support/database.js';
import { ReadinessProbe } from './support/probe.js';
import { WebhookReceiver } from './support/receiver.js';
import { judge, ms, n, writeResult } from './support/results.js';
import { type ServiceProcess, startService } from './support/service.js';
import { Workload, percentile } from './support/workload.js';

/** Load before the outage, the outage, load after it (seconds; RELIABILITY_DB_LOSS_* to change). */
const BEFORE_S = Number(process.env.RELIABILITY_DB_LOSS_BEFORE_S ?? 10);
const DOWN_S = Number(process.env.RELIABILITY_DB_LOSS_DOWN_S ?? 10);
const AFTER_S = Number(process.env.RELIABILITY_DB_LOSS_AFTER_S ?? 10);
const CLIENTS = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Database loss: under the conservation load (and the webhook dispatcher), PostgreSQL is stopped
 * (pg_ctl stop -m fast) for 10 s and started again on the same data directory and port. While it is down,
 * /health/ready must turn 503 within 5 s and every request must fail fast with 503 problem+json, never hang and
 * never 500; when it is back the service must serve again without a restart, and nothing acknowledged may be
 * lost. Clients retry a 503 with the same Idempotency-Key (a request cut off by the shutdown may have committed).
 */
describe('database loss', () => {
  let database: ReliabilityDatabase | undefined;
  let service: ServiceProcess | undefined;
  const receiver = new WebhookReceiver();

  afterAll(async () => {
    await service?.stop();
    await receiver.stop();
    await database?.destroy();
  });

  it(`PostgreSQL stopped for ${DOWN_S} s under load: fast 503s, reconnects, nothing lost`, async () => {
    const began = Date.now();
    await receiver.start();
    database = await startDatabase('database-loss');
    // Deliveries sent just before the stop whose recording failed stay leased (endpoint timeout 1 s + 5 s with
    // WEBHOOK_LEASE_MS=1000, 2 min by default) and are sent again after it, found by the 2 s sweep.
    service = await startService('service', database, {
      WEBHOOK_DISPATCHER_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_LEASE_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '2000',
    });
    const url = service.url;
    const fixture = await createFixture(url, 'database-loss');
    await createWebhook(url, fixture, receiver.url, ['movement.posted', 'inventory.updated']);

    const workload = new Workload({ base: () => url, fixture, clients: CLIENTS, counts: true });
    const probe = new ReadinessProbe(() => url);
    workload.start();
    probe.start();
    await sleep(BEFORE_S * 1000);

    const stopping = Date.now();
    await database.stop();
    const down = Date.now();
    await sleep(DOWN_S * 1000);
    const restarting = Date.now();
    await database.start();
    const up = Date.now();
    while (!probe.first(200, up) && Date.now() - up < 60_000) await sleep(100);
    const readyAgain = probe.first(200, up)?.at;
    await sleep(AFTER_S * 1000);
    await workload.stop();
    await probe.stop();
    const seconds = (workload.stoppedAt - workload.startedAt) / 1000;

    // While the server was down (stopped and not yet started again).
    const outage = workload.samples.filter((sample) => sample.at > down && sample.at < restarting);
    const outageStatuses: Record<string, number> = {};
    for (const sample of outage) outageStatuses[sample.status] = (outageStatuses[sample.status] ?? 0) + 1;
    const unavailable = workload.samples.filter((sample) => sample.status === 503);
    const unavailableTypes = [...new Set(unavailable.map((sample) => sample.problemType))].sort();
    const outageLatencies = outage.map((sample) => sample.ms).sort((a, b) => a - b);
    const probeWhileDown = probe.samples.filter((sample) => sample.at > stopping && sample.at < restarting);
    const firstNotReady = probe.first(503, stopping);
    const firstPosted = workload.samples.find((sample) => sample.at > up && sample.status === 201);

    // The two LISTEN connections (access changes, webhook deliveries) must be back too, or caches stay bypassed
    // and webhooks wait for the sweep (WEBHOOK_POLL_INTERVAL_MS) instead of being sent at once.
    const listeners = Object.fromEntries(
      (
        await database.query<{ name: string; connections: number }>(
          `select application_name as name, count(*)::int as connections from pg_stat_activity
            where application_name in ('inventory-enterprise:listen', 'inventory-enterprise:webhooks')
            group by application_name`,
        )
      ).map((row) => [row.name, row.connections]),
    );
    const ledger = await checkLedger(database, fixture.tenantId, workload.ledger);
    const deliveries = await checkDeliveries(database, fixture.tenantId, receiver, 120_000);
    const reconcile = runReconcile(database);
    const stats = workload.stats;
    const serverErrors = workload.samples.filter((sample) => sample.status >= 500 && sample.status !== 503);

    const verdict = judge({
      'requests answered while the database was down': [outage.length > 0, true],
      'statuses while the database was down': [Object.keys(outageStatuses), ['503']],
      '503 answers that are problem+json': [unavailable.every((sample) => sample.problemJson), true],
      '503 problem types': [
        unavailableTypes.every((type) => type === 'database-unavailable' || type === 'database-timeout'),
        true,
      ],
      '5xx other than 503': [serverErrors.length, 0],
      'requests without an answer (hang, refused)': [stats.transportErrors, 0],
      'slowest answer while down under 5 s': [percentile(outageLatencies, 100) < 5000, true],
      '/health/ready 503 within 5 s of the stop': [
        firstNotReady !== undefined && firstNotReady.at - stopping <= 5000,
        true,
      ],
      '/health/ready 200 again within 30 s of the restart': [
        readyAgain !== undefined && readyAgain - up <= 30_000,
        true,
      ],
      'movements posted after the restart': [firstPosted !== undefined, true],
      'LISTEN connections after the restart': [
        listeners,
        { 'inventory-enterprise:listen': 1, 'inventory-enterprise:webhooks': 1 },
      ],
      'unexpected answers': [stats.unexpected, []],
      'acknowledged movements missing from the database': [ledger.missing, []],
      'movements in the database never acknowledged': [ledger.unacknowledged, []],
      'ledger rows = acknowledged lines': [ledger.ledgerRows, ledger.acknowledgedLines],
      'keys whose balance differs from the acknowledged lines': [ledger.keysDifferingFromAcknowledged, []],
      'balances differing from their ledger sum': [ledger.balancesDifferingFromLedger, 0],
      'negative balances': [ledger.negativeBalances, 0],
      'reconcile:balances exit code': [reconcile.exitCode, 0],
      ...(reconcile.exitCode !== 0 && { 'reconcile:balances output': [reconcile.output, ''] }),
      'reconcile:balances drifted keys': [reconcile.drifted, 0],
      'events of committed movements not delivered': [deliveries.undelivered, []],
      'committed movements without movement.posted delivered': [deliveries.movementsWithoutPosted, []],
      'deliveries not succeeded': [deliveries.notSucceeded, 0],
    });
    const seconds1 = (value: number | undefined) =>
      value === undefined ? 'never' : `${(value / 1000).toFixed(1)} s`;
    writeResult({
      scenario: 'database-loss',
      order: 3,
      passed: verdict.passed,
      failure: verdict.failure,
      measuredAt: new Date().toISOString(),
      seconds: (Date.now() - began) / 1000,
      load:
        `${CLIENTS} clients × ${seconds.toFixed(0)} s: ${n(stats.requests)} requests, ${n(ledger.acknowledged)} movements, ` +
        `${n(stats.countsApproved)} counts; ${n(outage.length)} answers while the database was down`,
      faults:
        `PostgreSQL stopped (pg_ctl stop -m fast) for ${((restarting - stopping) / 1000).toFixed(1)} s under load, ` +
        `then started on the same data directory and port`,
      badInputs:
        `while down: ${JSON.stringify(outageStatuses)} (503 problem+json, ${unavailableTypes.join(', ')}), ` +
        `slowest ${ms(percentile(outageLatencies, 100))}; ${serverErrors.length} 500s, ${stats.transportErrors} hangs; ` +
        `/health/ready 503 after ${seconds1(firstNotReady && firstNotReady.at - stopping)}`,
      nothingLost:
        `ready again ${seconds1(readyAgain && readyAgain - up)} after the database; ` +
        `${n(ledger.acknowledged - ledger.missing.length)}/${n(ledger.acknowledged)} acknowledged movements present, ` +
        `${ledger.unacknowledged.length} doubled; reconcile: ${reconcile.drifted} drifted; ` +
        `${n(deliveries.events - deliveries.undelivered.length)}/${n(deliveries.events)} events delivered, ` +
        `${n(receiver.repeated())} sent again (sent, but not recorded before the stop)`,
      details: [
        `pg_ctl stop took ${ms(down - stopping)}, start ${ms(up - restarting)}; first 201 ${seconds1(firstPosted && firstPosted.at - up)} after the start`,
        `answers while down: p50 ${ms(percentile(outageLatencies, 50))}, p99 ${ms(percentile(outageLatencies, 99))}, ` +
          `max ${ms(percentile(outageLatencies, 100))}; /health/ready while down: ${n(probeWhileDown.length)} probes, ` +
          `slowest ${ms(Math.max(0, ...probeWhileDown.map((sample) => sample.ms)))}`,
        `${n(stats.unavailable)} 503 answers in all, retried with the same Idempotency-Key: ${n(stats.retriedAfter503)} ` +
          `requests then answered, ${n(stats.replayedAfter503)} of them replays of a request that had committed`,
        `LISTEN connections ${AFTER_S} s after the restart: ${JSON.stringify(listeners)}`,
        `queue drained ${ms(deliveries.drainMs)} after the load stopped; answers by status: ${JSON.stringify(stats.byStatus)}`,
      ],
    });
    expect(verdict.actual).toEqual(verdict.expected);
  });
});
