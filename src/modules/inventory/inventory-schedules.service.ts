import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { ReconciliationService } from './reconciliation.service.js';

/**
 * The inventory's cron jobs, registered from configuration (RECONCILE_CRON, IDEMPOTENCY_CLEANUP_CRON) when
 * SCHEDULERS_ENABLED. Each runs through JobRunner: one replica at a time, with metrics.
 */
@Injectable()
export class InventorySchedules implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly reconciliation: ReconciliationService,
    private readonly maintenance: MaintenanceDatabase,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule('reconcile-balances', this.config.get('RECONCILE_CRON', { infer: true }), () =>
      this.reconcileBalances(),
    );
    this.jobs.schedule(
      'expire-idempotency-keys',
      this.config.get('IDEMPOTENCY_CLEANUP_CRON', { infer: true }),
      () => this.expireIdempotencyKeys(),
    );
  }

  async reconcileBalances(): Promise<void> {
    await this.jobs.run('reconcile-balances', () => this.reconciliation.reconcile({ trigger: 'cron' }));
  }

  /** Deletes idempotency records past their 24 h; returns how many. */
  async expireIdempotencyKeys(): Promise<number> {
    const outcome = await this.jobs.run('expire-idempotency-keys', async () => {
      let deleted = 0;
      for (const tenant of await this.maintenance.tenants()) {
        deleted += await this.maintenance.inTenant(tenant.id, async (runner) => {
          // TypeORM answers a DELETE with [rows, affected count].
          const [, deleted] = (await runner.query(
            `delete from idempotency_keys where tenant_id = $1 and expires_at <= now()`,
            [tenant.id],
          )) as [unknown[], number];
          return deleted;
        });
      }
      return deleted;
    });
    return outcome.ran ? outcome.result : 0;
  }
}
