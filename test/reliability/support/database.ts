import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import { parseEnvironment } from '../../../src/platform/config/environment.js';
import { openDatabaseServer } from '../../../src/platform/database/database-endpoints.js';
import { freePort } from '../../support/free-port.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
/** Everything the suite writes outside docs/: one cluster per scenario and the result files. */
export const RELIABILITY_DIR = join(ROOT, 'data', 'reliability');
/** Service logs of the last run of each scenario (support/service.ts). */
export const LOGS_DIR = join(RELIABILITY_DIR, 'logs');
export const APP_PASSWORD = 'reliability-app-role-password-0123';

/**
 * A scenario's own embedded PostgreSQL 15 under ./data/reliability/<scenario>, on a free port of 127.0.0.1,
 * started and owned by the test process (so the database-loss scenario can stop and restart it without
 * touching the shared server of `npm test`). The services get its owner URL as DATABASE_URL.
 */
export interface ReliabilityDatabase {
  dataDir: string;
  port: number;
  /** Superuser URL of the database `inventory` (DATABASE_URL of the services, ground truth of the checks). */
  ownerUrl: string;
  /** pg_ctl stop -m fast: open transactions roll back, every connection is closed. */
  stop(): Promise<void>;
  /** Starts the server again on the same data directory and port. */
  start(): Promise<void>;
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Stops the server and deletes the scenario's directory. */
  destroy(): Promise<void>;
}

export async function startDatabase(scenario: string): Promise<ReliabilityDatabase> {
  const dataDir = join(RELIABILITY_DIR, scenario);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(LOGS_DIR, { recursive: true });
  for (const file of readdirSync(LOGS_DIR).filter((name) => name.startsWith(`${scenario}-`)))
    rmSync(join(LOGS_DIR, file));
  const port = await freePort();
  const env = parseEnvironment({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    EMBEDDED_PG_DATA_DIR: join(dataDir, 'postgres'),
    EMBEDDED_PG_PORT: String(port),
    DATABASE_APP_PASSWORD: APP_PASSWORD,
  });
  const log = () => undefined;
  let server = await openDatabaseServer(env, log);
  const ownerUrl = server.endpoints.ownerUrl;
  let running = true;
  const database: ReliabilityDatabase = {
    dataDir,
    port,
    ownerUrl,
    stop: async () => {
      await server.stop();
      running = false;
    },
    start: async () => {
      server = await openDatabaseServer(env, log);
      running = true;
    },
    query: async <Row extends object>(sql: string, params?: unknown[]) => {
      const client = new pg.Client({ connectionString: ownerUrl });
      await client.connect();
      try {
        return (await client.query<Row>(sql, params)).rows;
      } finally {
        await client.end();
      }
    },
    destroy: async () => {
      if (running) await database.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return database;
}
