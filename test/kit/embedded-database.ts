import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseEnvironment } from '../../src/platform/config/environment.js';
import { openDatabaseServer } from '../../src/platform/database/database-endpoints.js';
import { freePort } from '../support/free-port.js';
import { STANDALONE_APP_PASSWORD, STANDALONE_ENV } from './standalone-env.js';

/**
 * An embedded PostgreSQL 15 of one reliability scenario or benchmark under its own data directory, on a free
 * port of 127.0.0.1, started and owned by this process (so a scenario can stop and restart it, and nothing
 * touches the shared server of `npm test`). The services get its owner URL as DATABASE_URL.
 */
export interface EmbeddedDatabase {
  dataDir: string;
  port: number;
  /** Superuser URL of the database `inventory` (DATABASE_URL of the services, ground truth of the checks). */
  ownerUrl: string;
  /** The app role (row-level security applies). */
  appUrl: string;
  /** STANDALONE_ENV and what points a service or CLI process at this server (DATABASE_URL, DATA_DIR, ...). */
  env: Record<string, string>;
  /** pg_ctl stop -m fast: open transactions roll back, every connection is closed. */
  stop(): Promise<void>;
  /** Starts the server again on the same data directory and port. */
  start(): Promise<void>;
  /** One statement on a connection of its own, as the owner (no row-level security). */
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  /** Stops the server and deletes the data directory. */
  destroy(): Promise<void>;
}

/** Creates `dataDir` afresh (deleting what is there) and starts a new cluster in it. */
export async function startEmbeddedDatabase(
  dataDir: string,
  options: { log?: (message: string) => void } = {},
): Promise<EmbeddedDatabase> {
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const env = parseEnvironment({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    EMBEDDED_PG_DATA_DIR: join(dataDir, 'postgres'),
    EMBEDDED_PG_PORT: String(port),
    DATABASE_APP_PASSWORD: STANDALONE_APP_PASSWORD,
  });
  const log = options.log ?? (() => undefined);
  let server = await openDatabaseServer(env, log);
  const { ownerUrl, appUrl } = server.endpoints;
  let running = true;
  const database: EmbeddedDatabase = {
    dataDir,
    port,
    ownerUrl,
    appUrl,
    env: {
      ...STANDALONE_ENV,
      DATA_DIR: dataDir,
      BACKUP_DIR: join(dataDir, 'backups'),
      DATABASE_URL: ownerUrl,
    },
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
