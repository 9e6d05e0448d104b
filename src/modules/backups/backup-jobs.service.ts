import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { type JobOutcome, JobRunner } from '../../platform/jobs/job-runner.service.js';
import { type BackupRecord, BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { BackupInProgressException, BackupNotVerifiableException } from './backup-exceptions.js';
import { type BackupHealth, BackupMonitor, type PruneReport } from './backup-monitor.service.js';
import { BackupProcesses } from './backup-processes.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { BackupService } from './backup.service.js';
import type { BackupStartedView, BackupTrigger } from './dto/backup.dto.js';

/**
 * Creating, verifying and pruning backups share one job lock (`backup`), so across every replica at most one
 * of them runs at a time: two dumps never compete, and retention never deletes a file being verified. The
 * monitor has its own lock (it must not be skipped because a long backup is running). Entry points for the
 * crons (BACKUP_CRON: backup then verify; BACKUP_MONITOR_CRON: monitor then retention), the API and the CLI.
 */
@Injectable()
export class BackupJobs implements OnApplicationBootstrap {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    private readonly jobs: JobRunner,
    private readonly backups: BackupService,
    private readonly verifier: BackupVerifier,
    private readonly monitor: BackupMonitor,
    private readonly catalogue: BackupCatalogueRepository,
    private readonly processes: BackupProcesses,
  ) {}

  onApplicationBootstrap(): void {
    // The documented defaults are 02:00 and 03:00 UTC, whatever the server's zone.
    this.jobs.schedule(
      'backup',
      this.config.get('BACKUP_CRON', { infer: true }),
      () => this.backupCron(),
      'UTC',
    );
    this.jobs.schedule(
      'monitor-backups',
      this.config.get('BACKUP_MONITOR_CRON', { infer: true }),
      () => this.monitorAndPrune(),
      'UTC',
    );
  }

  /**
   * POST /api/backups: takes the lock and answers as soon as the catalogue row exists; the dump goes on in the
   * background, still holding the lock. Another backup (on any replica) holding it: 409.
   */
  start(trigger: BackupTrigger): Promise<BackupStartedView> {
    return new Promise((resolve, reject) => {
      let started = false;
      const work = this.jobs.run('backup', () =>
        this.backups.create(trigger, {
          onStarted: (id) => {
            started = true;
            resolve({ id, status: 'running' });
          },
        }),
      );
      this.processes.background(
        work.then(
          (outcome) => {
            if (!outcome.ran) reject(new BackupInProgressException());
          },
          (error: unknown) => {
            // After the start, the failure is in the catalogue row (and logged); before it, the caller hears.
            if (!started) reject(error instanceof Error ? error : new Error(String(error)));
            throw error;
          },
        ),
      );
    });
  }

  /**
   * The BACKUP_CRON job: a backup, then its verification, under one hold of the lock. On the replicas that
   * lose the race for the lock it does nothing (`ran: false`).
   */
  async backupCron(): Promise<JobOutcome<{ backup: BackupRecord; verified?: BackupRecord }>> {
    const outcome = await this.jobs.run('backup', () => this.createAndVerify('cron', {}));
    if (outcome.ran) await this.monitor.check();
    return outcome;
  }

  /** `backup:create`: the cron's work, now; refused while another backup holds the lock. */
  async backupAndVerify(
    trigger: BackupTrigger,
    options: { verify?: boolean; onProgress?: (line: string) => void } = {},
  ): Promise<{ backup: BackupRecord; verified?: BackupRecord }> {
    const outcome = await this.jobs.run('backup', () => this.createAndVerify(trigger, options));
    if (!outcome.ran) throw new BackupInProgressException();
    await this.monitor.check();
    return outcome.result;
  }

  private async createAndVerify(
    trigger: BackupTrigger,
    options: { verify?: boolean; onProgress?: (line: string) => void },
  ): Promise<{ backup: BackupRecord; verified?: BackupRecord }> {
    const backup = await this.backups.create(trigger, { onProgress: options.onProgress });
    if (options.verify === false) return { backup };
    const verified = await this.verifier.verify(backup.id, options.onProgress);
    return { backup, verified };
  }

  /** Verifies backup `id`, or the newest successful one. Failed verification is a result, not an error. */
  async verify(id: string | undefined, onProgress?: (line: string) => void): Promise<BackupRecord> {
    const backup = id === undefined ? await this.catalogue.newestSucceeded() : await this.catalogue.get(id);
    if (!backup) throw new Error('there is no successful backup to verify');
    if (backup.status !== 'succeeded') throw new BackupNotVerifiableException(backup.id, backup.status);
    const outcome = await this.jobs.run('backup', () => this.verifier.verify(backup.id, onProgress));
    if (!outcome.ran) throw new BackupInProgressException();
    await this.monitor.check();
    return outcome.result;
  }

  async prune(): Promise<PruneReport> {
    const outcome = await this.jobs.run('backup', () => this.monitor.prune());
    if (!outcome.ran) throw new BackupInProgressException();
    return outcome.result;
  }

  async checkFreshness(): Promise<BackupHealth> {
    const outcome = await this.jobs.run('monitor-backups', () => this.monitor.monitor());
    // Another replica is running the monitor: its answer would be the same; compute it here without alerting.
    return outcome.ran ? outcome.result : this.monitor.check();
  }

  /** The monitor cron: alert if needed, then retention (skipped, and said so, while a backup holds the lock). */
  async monitorAndPrune(): Promise<void> {
    await this.checkFreshness();
    const outcome = await this.jobs.run('backup', () => this.monitor.prune());
    if (!outcome.ran) this.logger.warn('retention skipped: a backup or verification is running');
  }
}
