import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ScheduleModule } from '@nestjs/schedule';
import { ClsModule } from 'nestjs-cls';
import type { Environment } from '../config/environment.js';
import { DatabaseModule } from '../database/database.module.js';
import type { DatabaseEndpoints } from '../database/database-endpoints.js';
import { InventorySchedules } from '../modules/inventory/inventory-schedules.service.js';
import { ReconciliationService } from '../modules/inventory/reconciliation.service.js';
import { AuditModule } from '../modules/audit/audit.module.js';
import { BackupsModule } from '../modules/backups/backups.module.js';
import { JobsModule } from '../modules/jobs/jobs.module.js';
import { TenantExportService } from '../modules/tenant-export/tenant-export.service.js';
import { WebhookRetention } from '../modules/webhooks/webhook-retention.service.js';
import { MetricsModule } from '../modules/metrics/metrics.module.js';
import { RolesModule } from '../modules/roles/roles.module.js';
import { TenantsModule } from '../modules/tenants/tenants.module.js';
import { UsersModule } from '../modules/users/users.module.js';
import { TenancyModule } from '../tenancy/tenancy.module.js';
import {
  BackfillBalancesCommand,
  ExpireIdempotencyKeysCommand,
  PurgeWebhookDeliveriesCommand,
  ReconcileBalancesCommand,
} from './commands/balances.commands.js';
import {
  BackupCreateCommand,
  MonitorBackupsCommand,
  PruneBackupsCommand,
  RestoreBackupCommand,
  VerifyBackupCommand,
} from './commands/backup.commands.js';
import { DbCheckCommand } from './commands/db-check.command.js';
import { OrgCreateCommand } from './commands/org-create.command.js';
import { AuditPurgeCommand, TenantExportCommand } from './commands/tenant-data.commands.js';
import { OrgListCommand } from './commands/org-list.command.js';
import { UsersAssignCommand } from './commands/users-assign.command.js';
import { ValidateMigrationCommand } from './commands/validate-migration.command.js';

/**
 * The command-line application: the same modules as the service, without HTTP. Tenant-bound commands run
 * through TenantContext.runAs on the app-role pool, so row-level security applies to them as to requests.
 */
@Module({})
export class CliModule {
  static forRoot(env: Environment, database: DatabaseEndpoints): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
        ClsModule.forRoot({
          global: true,
          plugins: [
            new ClsPluginTransactional({
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
        MetricsModule,
        DatabaseModule.forRoot(env, database),
        ScheduleModule.forRoot(),
        JobsModule,
        TenancyModule,
        AuditModule,
        TenantsModule,
        UsersModule,
        RolesModule,
        BackupsModule,
      ],
      providers: [
        ValidateMigrationCommand,
        DbCheckCommand,
        OrgCreateCommand,
        OrgListCommand,
        UsersAssignCommand,
        ReconciliationService,
        ReconcileBalancesCommand,
        BackfillBalancesCommand,
        InventorySchedules,
        ExpireIdempotencyKeysCommand,
        WebhookRetention,
        PurgeWebhookDeliveriesCommand,
        BackupCreateCommand,
        VerifyBackupCommand,
        MonitorBackupsCommand,
        PruneBackupsCommand,
        RestoreBackupCommand,
        TenantExportService,
        TenantExportCommand,
        AuditPurgeCommand,
      ],
    };
  }
}
