import type { DataSourceOptions } from 'typeorm';
import { entities } from './entities.js';
import { migrations } from './migrations.js';

export interface PoolSettings {
  poolSize: number;
  statementTimeoutMs: number;
  applicationName: string;
}

/** Options shared by both pools. `synchronize` is never on: the schema is what the migrations say. */
export function dataSourceOptions(url: string, pool: PoolSettings): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities,
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
  return { ...dataSourceOptions(url, { poolSize: 2, statementTimeoutMs: 0, applicationName }), entities: [] };
}
