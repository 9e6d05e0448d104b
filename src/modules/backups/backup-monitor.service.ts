import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DEFAULT_TENANT_SLUG } from '../tenants/index.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import { BACKUP_LAST_SUCCESS, BACKUP_LAST_VERIFIED } from '../../platform/observability/metric-names.js';
import { BackupAlertsRepository } from './backup-alerts.repository.js';
import { BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { manifestFileName } from './backup-files.js';
import { BackupTools } from './backup-tools.js';

export interface BackupHealth {
  status: 'ok' | 'alert';
  /** Why it is an alert; empty when ok. */
  problems: string[];
  /** When the newest backup that passed verification was verified. */
  newestVerifiedAt: string | null;
  /** When that backup was taken (its snapshot): what its age, and so the RPO, is measured from. */
  newestVerifiedTakenAt: string | null;
  newestVerifiedId: string | null;
  maxAgeHours: number;
}

export interface PruneReport {
  deleted: Array<{ id: string; fileName: string | null; startedAt: string }>;
  /** The newest verified backup, kept whatever its age. */
  kept: string | null;
}

const READINESS_TIMEOUT_MS = 2000;

/**
 * Backup freshness and retention. A backup counts only once it has passed verification by restore: the alert
 * is "no verified backup taken within BACKUP_MAX_AGE_HOURS", plus a failed last backup or verification and a
 * missing or too old pg_dump. Every check also sets the two timestamp gauges, so each replica's /metrics is
 * current as of its last readiness probe.
 */
@Injectable()
export class BackupMonitor implements OnApplicationBootstrap {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly catalogue: BackupCatalogueRepository,
    private readonly alerts: BackupAlertsRepository,
    private readonly tools: BackupTools,
    private readonly maintenance: MaintenanceDatabase,
    @InjectMetric(BACKUP_LAST_SUCCESS) private readonly lastSuccess: Gauge,
    @InjectMetric(BACKUP_LAST_VERIFIED) private readonly lastVerified: Gauge,
  ) {}

  /**
   * The gauges are right from the start, not only after the first readiness probe or backup (alerting on them
   * would see 0 after a restart). Only in processes that run the schedulers: CLI commands and replicas without
   * them are not the ones Prometheus alerts on for backups, and their readiness probes set the gauges anyway.
   */
  onApplicationBootstrap(): void {
    if (!this.config.get('SCHEDULERS_ENABLED', { infer: true })) return;
    this.check().catch((error: unknown) =>
      this.logger.warn(`cannot read the backup catalogue: ${(error as Error).message}`),
    );
  }

  async check(): Promise<BackupHealth> {
    const maxAgeHours = this.config.get('BACKUP_MAX_AGE_HOURS', { infer: true });
    const { verified, finished, succeeded } = await this.catalogue.newest();
    this.lastSuccess.set(succeeded?.finishedAt ? succeeded.finishedAt.getTime() / 1000 : 0);
    this.lastVerified.set(verified?.verifiedAt ? verified.verifiedAt.getTime() / 1000 : 0);

    const problems: string[] = [];
    try {
      const tools = await this.tools.locate();
      if (tools.createDatabaseProblem) problems.push(tools.createDatabaseProblem);
    } catch (error) {
      problems.push(`backups cannot run: ${(error as Error).message}`);
    }
    if (!verified) {
      problems.push('no backup has passed verification by restore yet');
    } else if (Date.now() - verified.startedAt.getTime() > maxAgeHours * 3_600_000) {
      problems.push(
        `the newest verified backup (${verified.id}) was taken at ${verified.startedAt.toISOString()}, ` +
          `more than BACKUP_MAX_AGE_HOURS (${maxAgeHours} h) ago`,
      );
    }
    if (finished?.status === 'failed') {
      problems.push(`the last backup (${finished.id}) failed: ${finished.error ?? 'no reason recorded'}`);
    } else if (finished?.verifyStatus === 'failed') {
      problems.push(
        `the last backup (${finished.id}) failed verification: ${finished.verifyDetails?.reasons.join('; ') ?? ''}`,
      );
    }
    return {
      status: problems.length === 0 ? 'ok' : 'alert',
      problems,
      newestVerifiedAt: verified?.verifiedAt?.toISOString() ?? null,
      newestVerifiedTakenAt: verified?.startedAt.toISOString() ?? null,
      newestVerifiedId: verified?.id ?? null,
      maxAgeHours,
    };
  }

  /** The monitor job: check and alert (error log). */
  async monitor(): Promise<BackupHealth> {
    const health = await this.check();
    if (health.status === 'alert') {
      this.logger.error(`BACKUP ALERT: ${health.problems.join('; ')}`);
      await this.auditAlert(health);
    } else this.logger.log(`backups ok: newest verified backup taken at ${health.newestVerifiedTakenAt}`);
    return health;
  }

  /**
   * Backups belong to no tenant; their alerts go to the audit log of the platform's own tenant (`default`, where
   * the platform administrators are), as the system. Without that tenant the error log is the record.
   */
  private async auditAlert(health: BackupHealth): Promise<void> {
    const [platform] = await this.maintenance.tenants(DEFAULT_TENANT_SLUG);
    if (!platform) return;
    await this.maintenance.inTenant(platform.id, (runner) =>
      this.alerts.insert(runner, platform.id, health.newestVerifiedId, {
        problems: health.problems,
        maxAgeHours: health.maxAgeHours,
      }),
    );
  }

  /**
   * The `backup` indicator of /health/ready. Failing backups make readiness `degraded` (HTTP 200): a backup
   * problem is no reason for a load balancer to take every replica out of rotation. BACKUP_READINESS_REQUIRED
   * turns it into `down` (503) for deployments that want that.
   */
  async readiness(indicators: HealthIndicatorService): Promise<HealthIndicatorResult<'backup'>> {
    const session = indicators.check('backup');
    let health: Pick<BackupHealth, 'status' | 'problems' | 'newestVerifiedAt' | 'newestVerifiedTakenAt'>;
    let timer: NodeJS.Timeout | undefined;
    try {
      health = await Promise.race([
        this.check(),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('timed out')), READINESS_TIMEOUT_MS);
        }),
      ]);
    } catch (error) {
      health = {
        status: 'alert',
        problems: [`backup status unavailable: ${(error as Error).message}`],
        newestVerifiedAt: null,
        newestVerifiedTakenAt: null,
      };
    } finally {
      clearTimeout(timer);
    }
    const detail = {
      newestVerifiedAt: health.newestVerifiedAt,
      newestVerifiedTakenAt: health.newestVerifiedTakenAt,
      ...(health.problems.length > 0 && { problems: health.problems }),
    };
    if (health.status === 'ok') return session.up(detail);
    return this.config.get('BACKUP_READINESS_REQUIRED', { infer: true })
      ? session.down(detail)
      : session.degraded(detail);
  }

  /**
   * Deletes backups (files, manifests, rows) started more than BACKUP_RETENTION_DAYS ago, except the newest
   * verified one, which is kept whatever its age. The caller holds the backup lock, so no running backup or
   * verification reads a file deleted here.
   */
  async prune(): Promise<PruneReport> {
    const days = this.config.get('BACKUP_RETENTION_DAYS', { infer: true });
    const directory = resolveProjectPath(this.config.get('BACKUP_DIR', { infer: true }));
    const keep = (await this.catalogue.newestVerifiedId()) ?? null;
    const expired = await this.catalogue.expired(days, keep);
    for (const backup of expired) {
      if (backup.fileName) {
        await rm(join(directory, backup.fileName), { force: true });
        await rm(join(directory, manifestFileName(backup.fileName)), { force: true });
      }
      // Row after file: a crash in between leaves a row whose file is gone (verification says so), never an
      // unlisted file.
      await this.catalogue.delete(backup.id);
      this.logger.log(`retention: deleted backup ${backup.id} taken at ${backup.startedAt.toISOString()}`);
    }
    return {
      deleted: expired.map((b) => ({ id: b.id, fileName: b.fileName, startedAt: b.startedAt.toISOString() })),
      kept: keep,
    };
  }
}
