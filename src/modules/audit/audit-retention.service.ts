import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { JobRunner } from '../../platform/jobs/job-runner.service.js';
import { AuditRepository } from './audit.repository.js';

export interface AuditPurgeResult {
  changes: number;
  denials: number;
}

/**
 * Deletes audit entries (changes and permission denials) older than AUDIT_RETENTION_DAYS, tenant by tenant on
 * the maintenance connection: a cron job (AUDIT_RETENTION_CRON) under an advisory lock and the CLI command
 * audit:purge. The append-only trigger lets these deletes through only because the transaction declares itself
 * as the retention job (app.audit_retention).
 */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap {
  private readonly logger = new Logger('AuditRetention');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly maintenance: MaintenanceDatabase,
    private readonly repository: AuditRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule('purge-audit-logs', this.config.get('AUDIT_RETENTION_CRON', { infer: true }), () =>
      this.purge(),
    );
  }

  async purge(onProgress?: (line: string) => void): Promise<AuditPurgeResult> {
    const days = this.config.get('AUDIT_RETENTION_DAYS', { infer: true });
    const outcome = await this.jobs.run('purge-audit-logs', async () => {
      const total: AuditPurgeResult = { changes: 0, denials: 0 };
      const tenants = await this.maintenance.tenants();
      for (const [index, tenant] of tenants.entries()) {
        const purged = await this.maintenance.inTenant(tenant.id, async (runner) => {
          await this.repository.declareRetention(runner);
          const changes = await this.repository.purgeChanges(runner, tenant.id, days);
          const denials = await this.repository.purgeDenials(runner, tenant.id, days);
          return { changes, denials };
        });
        total.changes += purged.changes;
        total.denials += purged.denials;
        onProgress?.(
          `[${index + 1}/${tenants.length}] ${tenant.slug}: ${purged.changes} changes, ${purged.denials} denials deleted`,
        );
      }
      this.logger.log(
        `deleted ${total.changes} changes and ${total.denials} denials older than ${days} days`,
      );
      return total;
    });
    return outcome.ran ? outcome.result : { changes: 0, denials: 0 };
  }
}
