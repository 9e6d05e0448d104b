import { afterAll, describe, expect, it } from '@jest/globals';
import { createFixture, createWebhook } from './support/fixture.js';
import { checkDeliveries, checkLedger, runReconcile } from './support/checks.js';
import { type ReliabilityDatabase, startDatabase } from './support/database.js';
import { WebhookReceiver } from './support/receiver.js';
import { judge, ms, n, writeResult } from './support/results.js';
import { type ServiceProcess, startService } from './support/service.js';
import { Workload, percentile } from './support/workload.js';

/** RELIABILITY_CRASH_KILLS (default 3) kills, each after RELIABILITY_CRASH_INTERVAL_S (default 10) ± 50 % of load. */
const KILLS = Number(process.env.RELIABILITY_CRASH_KILLS ?? 3);
const INTERVAL_S = Number(process.env.RELIABILITY_CRASH_INTERVAL_S ?? 10);
const CLIENTS = 32;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Crash: the conservation load, with the webhook dispatcher sending every movement's two events to a receiver
 * on 127.0.0.1, and the service killed with SIGKILL at random moments, then restarted on the same port. Clients
 * retry every request that lost its answer with the same Idempotency-Key. Afterwards every acknowledged movement
 * is there, none twice (a retry replays the original or posts once), no drift, and every event of a committed
 * movement reached the receiver (WEBHOOK_LEASE_MS=1000: leases of the killed process end 6 s after the claim,
 * the endpoint's 1 s timeout + 5 s).
 */
describe('crash', () => {
  let database: ReliabilityDatabase | undefined;
  let service: ServiceProcess | undefined;
  const receiver = new WebhookReceiver({ maxDelayMs: 20 });

  afterAll(async () => {
    await service?.stop();
    await receiver.stop();
    await database?.destroy();
  });

  it(`kill -9 under load ${KILLS} times: every acknowledged movement once, every event delivered`, async () => {
    const began = Date.now();
    await receiver.start();
    database = await startDatabase('crash');
    const env = {
      WEBHOOK_DISPATCHER_ENABLED: 'true',
      WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
      WEBHOOK_LEASE_MS: '1000',
      WEBHOOK_POLL_INTERVAL_MS: '500',
    };
    service = await startService('service', database, env);
    const url = service.url;
    const port = service.port;
    const fixture = await createFixture(url, 'crash');
    await createWebhook(url, fixture, receiver.url, ['movement.posted', 'inventory.updated']);

    const workload = new Workload({ base: () => url, fixture, clients: CLIENTS, counts: true });
    workload.start();
    const outages: number[] = [];
    const restarts: number[] = [];
    const deliveredAtKill: number[] = [];
    const sentAtKill: number[] = [];
    for (let kill = 0; kill < KILLS; kill += 1) {
      await sleep(INTERVAL_S * 1000 * (0.5 + Math.random()));
      const killedAt = Date.now();
      await service.kill();
      deliveredAtKill.push(receiver.delivered.size);
      sentAtKill.push(receiver.total);
      await sleep(300);
      service = await startService('service', database, env, port);
      outages.push(Date.now() - killedAt);
      restarts.push(service.readyAfterMs);
    }
    await sleep(INTERVAL_S * 1000);
    await workload.stop();
    const seconds = (workload.stoppedAt - workload.startedAt) / 1000;

    const ledger = await checkLedger(database, fixture.tenantId, workload.ledger);
    const deliveries = await checkDeliveries(database, fixture.tenantId, receiver, 120_000);
    const reconcile = runReconcile(database);
    const [{ committedAtKill }] = await database.query<{ committedAtKill: number }>(
      `select count(*)::int as "committedAtKill" from outbox_events where tenant_id = $1`,
      [fixture.tenantId],
    );
    const stats = workload.stats;
    const latencies = workload.latencies();
    const serverErrors = Object.entries(stats.byStatus)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);

    const verdict = judge({
      'kills done': [outages.length, KILLS],
      'requests that lost their answer at a kill': [stats.retriedAfterNoAnswer > 0, true],
      'unexpected answers': [stats.unexpected, []],
      '5xx answers': [serverErrors, 0],
      'acknowledged movements missing from the database': [ledger.missing, []],
      'movements in the database never acknowledged (doubled or lost answers)': [ledger.unacknowledged, []],
      'ledger rows = acknowledged lines': [ledger.ledgerRows, ledger.acknowledgedLines],
      'keys whose balance differs from the acknowledged lines': [ledger.keysDifferingFromAcknowledged, []],
      'balances differing from their ledger sum': [ledger.balancesDifferingFromLedger, 0],
      'negative balances': [ledger.negativeBalances, 0],
      'reconcile:balances exit code': [reconcile.exitCode, 0],
      ...(reconcile.exitCode !== 0 && { 'reconcile:balances output': [reconcile.output, ''] }),
      'reconcile:balances drifted keys': [reconcile.drifted, 0],
      'events of committed movements not delivered': [deliveries.undelivered, []],
      'committed movements without movement.posted delivered': [deliveries.movementsWithoutPosted, []],
      'committed movements without inventory.updated delivered': [deliveries.movementsWithoutUpdated, []],
      'deliveries not succeeded': [deliveries.notSucceeded, 0],
    });
    writeResult({
      scenario: 'crash',
      order: 2,
      passed: verdict.passed,
      failure: verdict.failure,
      measuredAt: new Date().toISOString(),
      seconds: (Date.now() - began) / 1000,
      load:
        `${CLIENTS} clients × ${seconds.toFixed(0)} s with webhooks on: ${n(stats.requests)} requests, ` +
        `${n(ledger.acknowledged)} movements, ${n(stats.countsApproved)} counts, ${n(deliveries.events)} events; ` +
        `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}`,
      faults:
        `${KILLS} × kill -9 of the service under load, restarted on the same port (outage ` +
        `${outages.map((outage) => (outage / 1000).toFixed(1)).join(', ')} s)`,
      badInputs:
        `${n(stats.retriedAfterNoAnswer)} requests lost their answer and were retried with their key: ` +
        `${n(stats.replayedAfterNoAnswer)} replayed the committed original, ${n(stats.retriedAfterNoAnswer - stats.replayedAfterNoAnswer)} ran once afresh`,
      nothingLost:
        `${n(ledger.acknowledged - ledger.missing.length)}/${n(ledger.acknowledged)} acknowledged movements present, ` +
        `${ledger.unacknowledged.length} doubled; reconcile: ${reconcile.drifted} drifted; ` +
        `${n(deliveries.events - deliveries.undelivered.length)}/${n(deliveries.events)} events delivered, ` +
        `${n(receiver.repeated())} resent after a lease (same webhook-id)`,
      details: [
        `${n(stats.transportErrors)} attempts without an answer (connection refused or reset) while the service was down`,
        `receiver: ${n(receiver.total)} requests for ${n(receiver.delivered.size)} events; at the kills it had ` +
          `${deliveredAtKill.map(n).join(', ')} events; ${n(committedAtKill)} events in the outbox at the end`,
        `restarts ready after ${restarts.map((restart) => ms(restart)).join(', ')} (spawn to /health/ready 200, under the clients' retries)`,
        `queue drained ${ms(deliveries.drainMs)} after the load stopped`,
        `latency of all answers: p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, ` +
          `max ${ms(percentile(latencies, 100))}; answers by status: ${JSON.stringify(stats.byStatus)}`,
        `${n(stats.concurrentUpdates)} 409 concurrent-update retried, ${n(stats.inFlight)} 409 idempotency-in-flight retried`,
      ],
    });
    expect(verdict.actual).toEqual(verdict.expected);
  });
});
