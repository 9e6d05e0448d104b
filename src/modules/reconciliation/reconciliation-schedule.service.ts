import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { ReconciliationService } from './reconciliation.service.js';

/**
 * The nightly reconciliation over every tenant, registered from RECONCILE_CRON when SCHEDULERS_ENABLED. It runs
 * through JobRunner under the `reconcile-balances` lock, which the reconcile and backfill commands take too.
 */
@Injectable()
export class ReconciliationSchedule implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly reconciliation: ReconciliationService,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule('reconcile-balances', this.config.get('RECONCILE_CRON', { infer: true }), () =>
      this.reconcileBalances(),
    );
  }

  async reconcileBalances(): Promise<void> {
    await this.jobs.run('reconcile-balances', () => this.reconciliation.reconcile({ trigger: 'cron' }));
  }
}
