import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';

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
        deleted += await this.maintenance.inTenant(tenant.id, async (runner) => {
          // TypeORM answers a DELETE with [rows, affected count].
          const [, count] = (await runner.query(
            `delete from webhook_deliveries
              where tenant_id = $1 and status in ('success', 'dlq')
                and completed_at < now() - make_interval(days => $2)`,
            [tenant.id, days],
          )) as [unknown[], number];
          return count;
        });
      }
      return deleted;
    });
    return outcome.ran ? outcome.result : 0;
  }
}
