import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ScheduleModule } from '@nestjs/schedule';
import { ClsModule } from 'nestjs-cls';
import type { Environment } from '../platform/config/environment.js';
import { DatabaseModule } from '../platform/database/database.module.js';
import type { DatabaseEndpoints } from '../platform/database/database-endpoints.js';
import { IdempotencyModule } from '../platform/http/idempotency/idempotency.module.js';
import { ReconciliationModule } from '../modules/reconciliation/index.js';
import { AuditModule } from '../modules/audit/index.js';
import { BackupsModule } from '../modules/backups/index.js';
import { JobsModule } from '../platform/jobs/jobs.module.js';
import { TenantExportModule } from '../modules/tenant-export/index.js';
import { WebhooksModule } from '../modules/webhooks/index.js';
import { ReservationsModule } from '../modules/reservations/index.js';
import { EventFeedModule } from '../modules/event-feed/index.js';
import { MetricsModule } from '../platform/observability/metrics.module.js';
import { RolesModule } from '../modules/roles/index.js';
import { TenantsModule } from '../modules/tenants/index.js';
import { UsersModule } from '../modules/users/index.js';
import { entities } from '../entities.js';
import { TenancyModule } from '../platform/tenancy/tenancy.module.js';
import {
  BackfillBalancesCommand,
  ExpireIdempotencyKeysCommand,
  PurgeWebhookDeliveriesCommand,
  PurgeEventFeedCommand,
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
import { ExpireReservationsCommand } from './commands/reservations.commands.js';

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
        DatabaseModule.forRoot(env, database, entities),
        ScheduleModule.forRoot(),
        JobsModule,
        TenancyModule,
        AuditModule,
        TenantsModule,
        UsersModule,
        RolesModule,
        BackupsModule,
        ReconciliationModule,
        IdempotencyModule,
        WebhooksModule,
        TenantExportModule,
        ReservationsModule,
        EventFeedModule,
      ],
      providers: [
        ValidateMigrationCommand,
        DbCheckCommand,
        OrgCreateCommand,
        OrgListCommand,
        UsersAssignCommand,
        ReconcileBalancesCommand,
        BackfillBalancesCommand,
        ExpireIdempotencyKeysCommand,
        ExpireReservationsCommand,
        PurgeWebhookDeliveriesCommand,
        PurgeEventFeedCommand,
        BackupCreateCommand,
        VerifyBackupCommand,
        MonitorBackupsCommand,
        PruneBackupsCommand,
        RestoreBackupCommand,
        TenantExportCommand,
        AuditPurgeCommand,
      ],
    };
  }
}
