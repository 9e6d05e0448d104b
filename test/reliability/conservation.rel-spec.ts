import { afterAll, describe, expect, it } from '@jest/globals';
import { createFixture } from './support/fixture.js';
import { checkAvailability, checkLedger, runReconcile } from './support/checks.js';
import { type ReliabilityDatabase, startDatabase } from './support/database.js';
import { judge, ms, n, writeResult } from './support/results.js';
import { type ServiceProcess, startService } from './support/service.js';
import { Workload, percentile } from './support/workload.js';

/** RELIABILITY_DURATION_S: how long the clients post (default 60). */
const DURATION_S = Number(process.env.RELIABILITY_DURATION_S ?? 60);
const CLIENTS = 32;

/**
 * Conservation: 32 concurrent clients post random receipts, issues, transfers, count sheets and reservations
 * (created, shipped by issues naming them, released) for 60 s against the built service on its own PostgreSQL.
 * Afterwards: every movement acknowledged to a client is in the ledger exactly once and nothing else is, the
 * balances are what the acknowledged lines add up to, every balance equals its ledger sum, none is negative
 * under `deny`, nothing is oversold (available >= 0), the reserved counters equal the open reservation lines,
 * and `reconcile:balances` finds no drift.
 */
describe('conservation', () => {
  let database: ReliabilityDatabase | undefined;
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.stop();
    await database?.destroy();
  });

  it(`${CLIENTS} clients for ${DURATION_S} s: nothing lost, nothing doubled, no drift`, async () => {
    const began = Date.now();
    database = await startDatabase('conservation');
    service = await startService('service', database);
    const url = service.url;
    const fixture = await createFixture(url, 'conservation');

    const workload = new Workload({
      base: () => url,
      fixture,
      clients: CLIENTS,
      counts: true,
      reservations: true,
    });
    workload.start();
    await new Promise((resolve) => setTimeout(resolve, DURATION_S * 1000));
    await workload.stop();
    const seconds = (workload.stoppedAt - workload.startedAt) / 1000;

    const ledger = await checkLedger(database, fixture.tenantId, workload.ledger);
    const availability = await checkAvailability(database, fixture.tenantId);
    const reconcile = runReconcile(database);
    const latencies = workload.latencies();
    const stats = workload.stats;
    const serverErrors = Object.entries(stats.byStatus)
      .filter(([status]) => Number(status) >= 500)
      .reduce((sum, [, count]) => sum + count, 0);

    const verdict = judge({
      'movements posted': [stats.movementsPosted > 0, true],
      'count adjustments posted': [stats.countAdjustments > 0, true],
      'unexpected answers': [stats.unexpected, []],
      '5xx answers': [serverErrors, 0],
      'requests without an answer': [stats.transportErrors, 0],
      'acknowledged movements missing from the database': [ledger.missing, []],
      'movements in the database never acknowledged': [ledger.unacknowledged, []],
      'ledger rows = acknowledged lines': [ledger.ledgerRows, ledger.acknowledgedLines],
      'keys whose balance differs from the acknowledged lines': [ledger.keysDifferingFromAcknowledged, []],
      'balances differing from their ledger sum': [ledger.balancesDifferingFromLedger, 0],
      'negative balances': [ledger.negativeBalances, 0],
      'reservations created': [stats.reservationsCreated > 0, true],
      'reservations shipped': [stats.reservationsConsumed > 0, true],
      'reserved counters differing from the open lines': [availability.reservedDiffering, 0],
      'positions whose on hand differs from their balances': [availability.onHandDiffering, 0],
      'keys or lots with available below zero (oversold)': [availability.oversold, 0],
      'reservation lines drawn beyond their quantity': [availability.overdrawnLines, 0],
      'reconcile:balances exit code': [reconcile.exitCode, 0],
      ...(reconcile.exitCode !== 0 && { 'reconcile:balances output': [reconcile.output, ''] }),
      'reconcile:balances drifted keys': [reconcile.drifted, 0],
    });
    writeResult({
      scenario: 'conservation',
      order: 1,
      passed: verdict.passed,
      failure: verdict.failure,
      measuredAt: new Date().toISOString(),
      seconds: (Date.now() - began) / 1000,
      load:
        `${CLIENTS} clients × ${seconds.toFixed(0)} s: ${n(stats.requests)} requests (${n(Math.round(stats.requests / seconds))}/s), ` +
        `${n(ledger.acknowledged)} movements, ${n(stats.countsApproved)} counts approved; ` +
        `p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(percentile(latencies, 100))}`,
      faults: 'none (the baseline)',
      badInputs:
        `${n(stats.insufficientStock)} issues/transfers beyond the stock, all refused 409 insufficient-stock; ` +
        `${n(stats.insufficientAvailable)} beyond what was not reserved, refused 409 insufficient-available; ` +
        `${n(serverErrors)} 5xx`,
      nothingLost:
        `${n(ledger.acknowledged - ledger.missing.length)}/${n(ledger.acknowledged)} acknowledged movements in the ledger ` +
        `exactly once, ${ledger.unacknowledged.length} extra; ${ledger.balancesDifferingFromLedger} balances ≠ ledger, ` +
        `${ledger.negativeBalances} negative; ${availability.oversold} oversold, ${availability.reservedDiffering} ` +
        `reserved counters ≠ open lines; reconcile: ${reconcile.drifted} drifted of ${n(reconcile.keysChecked)} keys`,
      details: [
        `${n(stats.attempts)} HTTP attempts for ${n(stats.requests)} requests; answers by status: ${JSON.stringify(stats.byStatus)}`,
        `${n(stats.movementsPosted)} movements posted by POST /api/inventory/movements, ${n(stats.countAdjustments)} ` +
          `count adjustments (${n(stats.countsApproved)} counts approved), ${n(ledger.ledgerRows)} ledger rows over ` +
          `${n(ledger.balanceKeys)} balance keys`,
        `latency of all answers: p50 ${ms(percentile(latencies, 50))}, p90 ${ms(percentile(latencies, 90))}, ` +
          `p99 ${ms(percentile(latencies, 99))}, max ${ms(percentile(latencies, 100))}`,
        `${n(stats.concurrentUpdates)} 409 concurrent-update (deadlock) answers retried, ${n(stats.inFlight)} 409 idempotency-in-flight`,
        `${n(stats.reservationsCreated)} reservations created, ${n(stats.reservationsConsumed)} shipped by issues naming them, ` +
          `${n(stats.reservationsReleased)} released, ${n(stats.reservationConflicts)} 409 because another client used one up first; ` +
          `${n(availability.openReservations)} still open`,
        `reconcile:balances (CLI) exit ${reconcile.exitCode}: ${n(reconcile.keysChecked)} keys checked, ${reconcile.drifted} drifted`,
      ],
    });
    expect(verdict.actual).toEqual(verdict.expected);
  });
});
