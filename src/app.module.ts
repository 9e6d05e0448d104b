import type { IncomingMessage } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { ScheduleModule } from '@nestjs/schedule';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { getDataSourceToken } from '@nestjs/typeorm';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import type { Environment } from './config/environment.js';
import { requestIdOf } from './common/http/request-id.js';
import { ORIGIN } from './tenancy/tenant-context.js';
import { DatabaseModule } from './database/database.module.js';
import type { DatabaseEndpoints } from './database/database-endpoints.js';
import { HealthModule } from './modules/health/health.module.js';
import { MetricsModule } from './modules/metrics/metrics.module.js';
import { ApiKeysModule } from './modules/api-keys/api-keys.module.js';
import { BackupsModule } from './modules/backups/backups.module.js';
import { AuditModule } from './modules/audit/audit.module.js';
import { AuthModule } from './modules/auth/auth.module.js';
import { FeatureFlagsModule } from './modules/feature-flags/feature-flags.module.js';
import { CountsModule } from './modules/counts/counts.module.js';
import { WebhooksModule } from './modules/webhooks/webhooks.module.js';
import { InventoryModule } from './modules/inventory/inventory.module.js';
import { JobsModule } from './modules/jobs/jobs.module.js';
import { ItemsModule } from './modules/items/items.module.js';
import { LocationsModule } from './modules/locations/locations.module.js';
import { RolesModule } from './modules/roles/roles.module.js';
import { TenantBootstrap } from './modules/tenants/tenant-bootstrap.service.js';
import { TenantExportModule } from './modules/tenant-export/tenant-export.module.js';
import { TenantsModule } from './modules/tenants/tenants.module.js';
import { UsersModule } from './modules/users/users.module.js';
import { TenancyModule } from './tenancy/tenancy.module.js';

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
        LoggerModule.forRoot({
          pinoHttp: {
            logger,
            genReqId: (request, response) => {
              const id = requestIdOf(request);
              response.setHeader('X-Request-Id', id);
              return id;
            },
            customLogLevel: (_request, response, error) =>
              error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
            serializers: {
              req: (request: { id: string; method: string; url: string }) => ({
                id: request.id,
                method: request.method,
                url: request.url,
              }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
          },
        }),
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
        DatabaseModule.forRoot(env, database),
        HealthModule,
        ScheduleModule.forRoot(),
        JobsModule,
        TenancyModule,
        // AuthModule first among the features: its global guards must run before anything else's.
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
        CountsModule,
        WebhooksModule,
        BackupsModule,
        TenantExportModule,
      ],
      providers: [TenantBootstrap],
    };
  }
}
