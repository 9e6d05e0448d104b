import { Global, Module } from '@nestjs/common';
import { MaintenanceDatabase } from '../database/maintenance-database.js';
import { JobRunner } from './job-runner.service.js';

@Global()
@Module({ providers: [JobRunner, MaintenanceDatabase], exports: [JobRunner, MaintenanceDatabase] })
export class JobsModule {}
