import { Command, CommandRunner, Option } from 'nest-commander';
import { type ReconciliationReport, ReconciliationService } from '../../modules/reconciliation/index.js';
import { IdempotencyExpiry } from '../../platform/http/idempotency/idempotency-expiry.service.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { WebhookRetention } from '../../modules/webhooks/index.js';
import { EventFeedRetention } from '../../modules/event-feed/index.js';

interface BalanceCommandOptions {
  tenant?: string;
}

function printReport(report: ReconciliationReport): void {
  process.stdout.write(
    `${report.kind} run ${report.runId}: ${report.tenantsChecked} tenant(s), ${report.keysChecked} balance keys checked, ` +
      `${report.driftKeys} drifted (${report.correctedKeys} corrected, ${report.alertedKeys} reported; ` +
      `${report.orphanedKeys} orphaned, ${report.missingKeys} missing) in ${report.durationMs} ms\n`,
  );
  for (const drift of report.details.filter((d) => d.action === 'alerted').slice(0, 20)) {
    process.stdout.write(
      `  DRIFT tenant ${drift.tenantId} item ${drift.itemId} location ${drift.locationId}` +
        `${drift.lotId ? ` lot ${drift.lotId}` : ''}: balance ${drift.balanceQty ?? '(none)'}, ledger ${drift.ledgerQty ?? '(none)'}\n`,
    );
  }
}

abstract class BalanceCommand extends CommandRunner {
  @Option({ flags: '--tenant <id-or-slug>', description: 'Only this tenant (default: every tenant)' })
  parseTenant(value: string): string {
    return value;
  }
}

@Command({
  name: 'reconcile:balances',
  description:
    'Compare every balance with its ledger sum; correct drift below 0.01, report the rest (exit 1)',
})
export class ReconcileBalancesCommand extends BalanceCommand {
  constructor(
    private readonly jobs: JobRunner,
    private readonly reconciliation: ReconciliationService,
  ) {
    super();
  }

  async run(_args: string[], options: BalanceCommandOptions): Promise<void> {
    const outcome = await this.jobs.run('reconcile-balances', () =>
      this.reconciliation.reconcile({
        tenant: options.tenant,
        trigger: 'cli',
        onProgress: (line) => process.stdout.write(`${line}\n`),
      }),
    );
    if (!outcome.ran) throw new Error(`not run: ${outcome.reason}`);
    printReport(outcome.result);
    if (outcome.result.alertedKeys > 0) process.exitCode = 1;
  }
}

@Command({
  name: 'backfill:balances',
  description: 'Rebuild balances from the ledger (idempotent), then verify that nothing drifts',
})
export class BackfillBalancesCommand extends BalanceCommand {
  constructor(
    private readonly jobs: JobRunner,
    private readonly reconciliation: ReconciliationService,
  ) {
    super();
  }

  async run(_args: string[], options: BalanceCommandOptions): Promise<void> {
    // Shares the reconciliation's lock: the two never run at the same time.
    const outcome = await this.jobs.run('reconcile-balances', () =>
      this.reconciliation.backfill({
        tenant: options.tenant,
        trigger: 'cli',
        onProgress: (line) => process.stdout.write(`${line}\n`),
      }),
    );
    if (!outcome.ran) throw new Error(`not run: ${outcome.reason}`);
    printReport(outcome.result);
    // After a rebuild every key was recomputed inside the same transaction: any drift left is a defect.
    const left = outcome.result.details.filter((d) => d.action === 'alerted').length;
    if (left > 0) process.exitCode = 1;
  }
}

@Command({
  name: 'idempotency:expire',
  description: 'Delete idempotency records older than 24 h (the hourly cron job, run once now)',
})
export class ExpireIdempotencyKeysCommand extends CommandRunner {
  constructor(private readonly expiry: IdempotencyExpiry) {
    super();
  }

  async run(): Promise<void> {
    const deleted = await this.expiry.expire();
    process.stdout.write(`deleted ${deleted} expired idempotency record(s)\n`);
  }
}

@Command({
  name: 'webhooks:purge',
  description:
    'Delete finished webhook deliveries older than WEBHOOK_RETENTION_DAYS (the daily cron job, once now)',
})
export class PurgeWebhookDeliveriesCommand extends CommandRunner {
  constructor(private readonly retention: WebhookRetention) {
    super();
  }

  async run(): Promise<void> {
    const deleted = await this.retention.purge();
    process.stdout.write(`deleted ${deleted} finished webhook deliver${deleted === 1 ? 'y' : 'ies'}\n`);
  }
}

@Command({
  name: 'events:purge',
  description:
    'Delete event-feed entries older than EVENT_RETENTION_DAYS and the events nothing refers to (the daily cron job, once now)',
})
export class PurgeEventFeedCommand extends CommandRunner {
  constructor(private readonly retention: EventFeedRetention) {
    super();
  }

  async run(): Promise<void> {
    const deleted = await this.retention.purge();
    process.stdout.write(`deleted ${deleted} event-feed entr${deleted === 1 ? 'y' : 'ies'}\n`);
  }
}
