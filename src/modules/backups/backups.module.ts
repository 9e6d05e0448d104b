import { Module } from '@nestjs/common';
import { BackupAlertsRepository } from './backup-alerts.repository.js';
import { BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { BackupJobs } from './backup-jobs.service.js';
import { BackupMonitor } from './backup-monitor.service.js';
import { BackupProcesses } from './backup-processes.js';
import { BackupQueries } from './backup-queries.service.js';
import { BackupRestore } from './backup-restore.service.js';
import { BackupTools } from './backup-tools.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { BackupService } from './backup.service.js';
import { BackupsController } from './backups.controller.js';
import { RestoreDatabasesRepository } from './restore-databases.repository.js';

/**
 * Backups of the whole database, proven by restore (docs/operations.md). Works through the owner connection
 * (MaintenanceDatabase and connections of its own to the DatabaseEndpoints owner URL), never the app role.
 */
@Module({
  controllers: [BackupsController],
  providers: [
    BackupTools,
    BackupCatalogueRepository,
    BackupAlertsRepository,
    RestoreDatabasesRepository,
    BackupProcesses,
    BackupService,
    BackupRestore,
    BackupVerifier,
    BackupMonitor,
    BackupQueries,
    BackupJobs,
  ],
  exports: [BackupJobs, BackupMonitor, BackupVerifier],
})
export class BackupsModule {}
