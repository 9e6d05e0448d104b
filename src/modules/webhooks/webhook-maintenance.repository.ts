import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { allowCrossTenantStatistics } from '../../platform/database/session-settings.js';

/** The owner connection's statements on webhook deliveries: retention and the queue gauges. */
@Injectable()
export class WebhookMaintenanceRepository {
  constructor(private readonly maintenance: MaintenanceDatabase) {}

  /** Deletes the tenant's finished deliveries older than `days` (runner: a transaction of that tenant). */
  async deleteFinishedBefore(runner: QueryRunner, tenantId: string, days: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, count] = (await runner.query(
      `delete from webhook_deliveries
        where tenant_id = $1 and status in ('success', 'dlq')
          and completed_at < now() - make_interval(days => $2)`,
      [tenantId, days],
    )) as [unknown[], number];
    return count;
  }

  /** Due and dead-lettered deliveries across every tenant, in one statement (the owner's statistics policy). */
  async queueFigures(): Promise<{ due: number; dlq: number }> {
    const [figures] = await this.maintenance.owner.transaction(async (manager) => {
      await allowCrossTenantStatistics(manager);
      return manager.query<Array<{ due: number; dlq: number }>>(
        `select count(*) filter (where status = 'pending' and next_attempt_at <= now())::int as due,
                count(*) filter (where status = 'dlq')::int as dlq
           from webhook_deliveries where status in ('pending', 'dlq')`,
      );
    });
    return figures;
  }
}
