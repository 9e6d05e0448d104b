import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { WebhookMaintenanceRepository } from './webhook-maintenance.repository.js';

/**
 * Deletes finished deliveries (success, dlq) older than WEBHOOK_RETENTION_DAYS with their attempts, tenant by
 * tenant on the maintenance connection; a cron job (WEBHOOK_RETENTION_CRON) under an advisory lock and a CLI
 * command (webhooks:purge).
 */
@Injectable()
export class WebhookRetention implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly maintenance: MaintenanceDatabase,
    private readonly deliveries: WebhookMaintenanceRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule(
      'purge-webhook-deliveries',
      this.config.get('WEBHOOK_RETENTION_CRON', { infer: true }),
      () => this.purge(),
    );
  }

  /** Returns how many deliveries were deleted. */
  async purge(): Promise<number> {
    const days = this.config.get('WEBHOOK_RETENTION_DAYS', { infer: true });
    const outcome = await this.jobs.run('purge-webhook-deliveries', async () => {
      let deleted = 0;
      for (const tenant of await this.maintenance.tenants()) {
        deleted += await this.maintenance.inTenant(tenant.id, (runner) =>
          this.deliveries.deleteFinishedBefore(runner, tenant.id, days),
        );
      }
      return deleted;
    });
    return outcome.ran ? outcome.result : 0;
  }
}
