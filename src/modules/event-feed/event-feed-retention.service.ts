import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { EventFeedRepository } from './event-feed.repository.js';

/**
 * Deletes feed entries older than EVENT_RETENTION_DAYS, and the outbox events of that age nothing refers to,
 * tenant by tenant on the maintenance connection; a cursor from before them is then 410 cursor-expired. A cron
 * job (EVENT_RETENTION_CRON) under an advisory lock and a CLI command (events:purge).
 */
@Injectable()
export class EventFeedRetention implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly maintenance: MaintenanceDatabase,
    private readonly feed: EventFeedRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule('purge-event-feed', this.config.get('EVENT_RETENTION_CRON', { infer: true }), () =>
      this.purge(),
    );
  }

  /** Returns how many feed entries were deleted. */
  async purge(): Promise<number> {
    const days = this.config.get('EVENT_RETENTION_DAYS', { infer: true });
    const outcome = await this.jobs.run('purge-event-feed', async () => {
      let deleted = 0;
      for (const tenant of await this.maintenance.tenants()) {
        deleted += await this.maintenance.inTenant(tenant.id, (runner) =>
          this.feed.deleteOlderThan(runner, tenant.id, days),
        );
      }
      return deleted;
    });
    return outcome.ran ? outcome.result : 0;
  }
}
