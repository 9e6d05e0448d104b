import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { MaintenanceDatabase } from '../../database/maintenance-database.js';
import { JobRunner } from '../../jobs/job-runner.service.js';
import { IdempotencyKeysRepository } from './idempotency-keys.repository.js';

/**
 * Expires idempotency records after their 24 h: a cron job from IDEMPOTENCY_CLEANUP_CRON when SCHEDULERS_ENABLED,
 * through JobRunner (one replica at a time, with metrics), and the `idempotency:expire` command.
 */
@Injectable()
export class IdempotencyExpiry implements OnApplicationBootstrap {
  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly maintenance: MaintenanceDatabase,
    private readonly keys: IdempotencyKeysRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule(
      'expire-idempotency-keys',
      this.config.get('IDEMPOTENCY_CLEANUP_CRON', { infer: true }),
      () => this.expire(),
    );
  }

  /** Deletes idempotency records past their expiry in every tenant; returns how many. */
  async expire(): Promise<number> {
    const outcome = await this.jobs.run('expire-idempotency-keys', async () => {
      let deleted = 0;
      for (const tenant of await this.maintenance.tenants())
        deleted += await this.maintenance.inTenant(tenant.id, (runner) =>
          this.keys.deleteExpired(runner, tenant.id),
        );
      return deleted;
    });
    return outcome.ran ? outcome.result : 0;
  }
}
