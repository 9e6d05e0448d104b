import { Module } from '@nestjs/common';
import { BackupCatalogue } from './backup-catalogue.js';
import { BackupJobs } from './backup-jobs.service.js';
import { BackupMonitor } from './backup-monitor.service.js';
import { BackupProcesses } from './backup-processes.js';
import { BackupTools } from './backup-tools.js';
import { BackupVerifier } from './backup-verifier.service.js';
import { BackupService } from './backup.service.js';
import { BackupsController } from './backups.controller.js';

/**
 * Backups of the whole database, proven by restore (docs/operations.md). Works through the owner connection
 * (MaintenanceDatabase and connections of its own to the DatabaseEndpoints owner URL), never the app role.
 */
@Module({
  controllers: [BackupsController],
  providers: [
    BackupTools,
    BackupCatalogue,
    BackupProcesses,
    BackupService,
    BackupVerifier,
    BackupMonitor,
    BackupJobs,
  ],
  exports: [BackupJobs, BackupMonitor, BackupVerifier],
})
export class BackupsModule {}
