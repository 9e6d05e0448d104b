import { type DynamicModule, Logger, Module, type Type } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { Environment } from '../config/environment.js';
import { DATABASE_ENDPOINTS, MAINTENANCE_DATA_SOURCE } from './database.constants.js';
import { NotificationListener } from './notification-listener.js';
import type { DatabaseEndpoints } from './database-endpoints.js';
import { dataSourceOptions } from './data-source-options.js';
import { ensureAppRoleLogin, migrateToLatest } from './schema-migrator.js';
import { QueryMetricsSubscriber } from './subscribers/query-metrics.subscriber.js';

/**
 * Two pools: the owner ("maintenance") pool migrates at start-up and serves system jobs; the default pool
 * connects as the app role and serves every request. The default pool is created after the maintenance one
 * (it injects it), so migrations and the app role's login are in place before the first request arrives.
 * The entity classes come from the composition root (src/entities.ts): platform code knows no feature.
 */
@Module({})
export class DatabaseModule {
  static forRoot(env: Environment, endpoints: DatabaseEndpoints, entities: Type[]): DynamicModule {
    const logger = new Logger('Database');
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          name: MAINTENANCE_DATA_SOURCE,
          useFactory: () => ({
            ...dataSourceOptions(endpoints.ownerUrl, {
              poolSize: 3,
              statementTimeoutMs: 0,
              applicationName: 'inventory-enterprise:maintenance',
            }),
            entities,
            name: MAINTENANCE_DATA_SOURCE,
            retryAttempts: 2,
            retryDelay: 1000,
          }),
          dataSourceFactory: async (options?: DataSourceOptions) => {
            const owner = await new DataSource(options!).initialize();
            try {
              if (env.MIGRATIONS_RUN) {
                const applied = await migrateToLatest(owner);
                logger.log(
                  applied.length > 0 ? `applied migrations: ${applied.join(', ')}` : 'schema is up to date',
                );
              }
              await ensureAppRoleLogin(owner, endpoints);
              return owner;
            } catch (error) {
              // @nestjs/typeorm retries with a new DataSource: don't leave this one's pool open behind it.
              await owner.destroy().catch(() => undefined);
              throw error;
            }
          },
        }),
        TypeOrmModule.forRootAsync({
          inject: [getDataSourceToken(MAINTENANCE_DATA_SOURCE)],
          useFactory: () => ({
            ...dataSourceOptions(endpoints.appPoolUrl, {
              poolSize: env.DATABASE_POOL_SIZE,
              // PgBouncer refuses statement_timeout as a startup parameter: behind it, the timeout is set by
              // PgBouncer's connect_query or on the role (docs/scaling.md).
              statementTimeoutMs: env.DATABASE_POOLER_URL ? 0 : env.DATABASE_STATEMENT_TIMEOUT_MS,
              applicationName: 'inventory-enterprise:app',
            }),
            entities,
            retryAttempts: 2,
            retryDelay: 1000,
          }),
        }),
      ],
      providers: [
        QueryMetricsSubscriber,
        NotificationListener,
        { provide: DATABASE_ENDPOINTS, useValue: endpoints },
      ],
      exports: [DATABASE_ENDPOINTS, NotificationListener],
    };
  }
}
