import type { DataSourceOptions } from 'typeorm';
import { migrations } from './migrations.js';

export interface PoolSettings {
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
}

/**
 * Options shared by every connection. Entities are added by DatabaseModule (and the TypeORM CLI), not here,
 * so migration-only connections load without decorator metadata. `synchronize` is never on.
 */
export function dataSourceOptions(url: string, pool: PoolSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: pool.poolSize,
    applicationName: pool.applicationName,
    extra: {
      statement_timeout: pool.statementTimeoutMs || undefined,
      // Fail fast instead of queueing forever when the server is gone.
      connectionTimeoutMillis: 5000,
    },
  };
}

/**
 * Owner connection for running migrations only: no entities, so it loads without decorator metadata
 * (the test harness's global setup and the TypeORM CLI use it).
 */
export function migrationDataSourceOptions(url: string, applicationName: string): DataSourceOptions {
  return dataSourceOptions(url, { poolSize: 2, statementTimeoutMs: 0, applicationName });
}
