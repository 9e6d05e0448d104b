import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';

/** A backup alert as an audit entry: the problems and the threshold they were judged by. */
export interface BackupAlertEntry {
  problems: string[];
  maxAgeHours: number;
}

/** The audit entries of backup alerts, written by the system (the monitor), never by a user. */
@Injectable()
export class BackupAlertsRepository {
  /** `runner`: the caller's transaction in tenant `tenantId` (MaintenanceDatabase.inTenant). */
  async insert(
    runner: QueryRunner,
    tenantId: string,
    backupId: string | null,
    entry: BackupAlertEntry,
  ): Promise<void> {
    await runner.query(
      `insert into audit_logs (tenant_id, actor_kind, actor_name, action, entity_type, entity_id, after)
       values ($1, 'system', 'backup-monitor', 'backup.alert', 'backup', $2, $3::jsonb)`,
      [tenantId, backupId, JSON.stringify(entry)],
    );
  }
}
