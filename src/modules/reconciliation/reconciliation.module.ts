import { Module } from '@nestjs/common';
import { ReconciliationSchedule } from './reconciliation-schedule.service.js';
import { ReconciliationRepository } from './reconciliation.repository.js';
import { ReconciliationService } from './reconciliation.service.js';

/**
 * Balance reconciliation and backfill: cross-tenant work on the owner connection (MaintenanceDatabase and
 * JobRunner come from the global JobsModule), with its cron job.
 */
@Module({
  providers: [ReconciliationRepository, ReconciliationService, ReconciliationSchedule],
  exports: [ReconciliationService],
})
export class ReconciliationModule {}
