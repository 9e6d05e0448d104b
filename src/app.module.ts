import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import type { Logger as PinoLogger } from 'pino';
import type { Environment } from './platform/config/environment.js';
import { requestIdOf } from './platform/http/request-id.js';
import { ORIGIN } from './platform/tenancy/tenant-context.js';
import { DatabaseModule } from './platform/database/database.module.js';
import type { DatabaseEndpoints } from './platform/database/database-endpoints.js';
import { HealthModule } from './platform/health/health.module.js';
import { LoggingModule } from './platform/observability/logging.module.js';
import { MetricsModule } from './platform/observability/metrics.module.js';
import { ApiKeysModule } from './modules/api-keys/index.js';
import { BackupsModule } from './modules/backups/index.js';
import { BackupMonitor } from './modules/backups/index.js';
import { AuditModule } from './modules/audit/index.js';
import { AuthModule } from './modules/auth/index.js';
import { FeatureFlagsModule } from './modules/feature-flags/index.js';
import { CountsModule } from './modules/counts/index.js';
import { WebhooksModule } from './modules/webhooks/index.js';
import { InventoryModule } from './modules/inventory/index.js';
import { ReservationsModule } from './modules/reservations/index.js';
import { AvailabilityModule } from './modules/availability/index.js';
import { EventFeedModule } from './modules/event-feed/index.js';
import { ReconciliationModule } from './modules/reconciliation/index.js';
import { JobsModule } from './platform/jobs/jobs.module.js';
import { ItemsModule } from './modules/items/index.js';
import { LocationsModule } from './modules/locations/index.js';
import { RolesModule } from './modules/roles/index.js';
import { TenantBootstrap } from './modules/tenants/index.js';
import { TenantExportModule } from './modules/tenant-export/index.js';
import { TenantsModule } from './modules/tenants/index.js';
import { UsersModule } from './modules/users/index.js';
import { TenancyModule } from './platform/tenancy/tenancy.module.js';
import { entities } from './entities.js';
import { RequestPipelineModule } from './request-pipeline.module.js';

export interface AppModuleOptions {
  env: Environment;
  database: DatabaseEndpoints;
  logger: PinoLogger;
}

/**
 * The root module. Built from already-validated settings (main.ts and the test factory parse the
 * environment first), so nothing here reads process.env and two apps in one process never share settings.
 */
@Module({})
export class AppModule {
  static forRoot({ env, database, logger }: AppModuleOptions): DynamicModule {
    return {
      module: AppModule,
      imports: [
        // The environment was parsed and validated by parseEnvironment(); ConfigService serves that result
        // (typed as ConfigService<Environment, true>) and never writes back into process.env.
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
        LoggingModule.forRoot(logger),
        ClsModule.forRoot({
          global: true,
          middleware: {
            mount: true,
            generateId: true,
            idGenerator: (request: IncomingMessage) => requestIdOf(request),
            // Express's req.ip (TRUST_PROXY decides whether X-Forwarded-For counts), for audit rows.
            setup: (cls, request: IncomingMessage & { ip?: string }) => cls.set(ORIGIN, { ip: request.ip }),
          },
          plugins: [
            new ClsPluginTransactional({
              adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: getDataSourceToken() }),
            }),
          ],
        }),
        MetricsModule,
        DatabaseModule.forRoot(env, database, entities),
        HealthModule.forRoot({ imports: [BackupsModule], readiness: [BackupMonitor] }),
        ScheduleModule.forRoot(),
        JobsModule,
        TenancyModule,
        RequestPipelineModule,
        AuthModule,
        AuditModule,
        FeatureFlagsModule,
        TenantsModule,
        UsersModule,
        RolesModule,
        ApiKeysModule,
        ItemsModule,
        LocationsModule,
        InventoryModule,
        ReservationsModule,
        AvailabilityModule,
        EventFeedModule,
        ReconciliationModule,
        CountsModule,
        WebhooksModule,
        BackupsModule,
        TenantExportModule,
      ],
      providers: [TenantBootstrap],
    };
  }
}
