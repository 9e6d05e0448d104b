import { join } from 'node:path';
import type { Environment } from '../config/environment.js';
import { resolveProjectPath } from '../config/project-paths.js';
import { SecretStore } from '../config/secret-store.js';
import { APP_ROLE } from './database-roles.js';
import { EmbeddedPostgres } from '../dev-database/embedded-postgres.js';

/** Where the two connection pools (and the connections outside them) point. */
export interface DatabaseEndpoints {
  /** Owner role: migrations and system jobs that must see every tenant. Always a direct session. */
  ownerUrl: string;
  /**
   * App role, direct session (row-level security applies): the LISTEN connections, which a transaction pooler
   * cannot serve. Also the request pool's URL unless DATABASE_POOLER_URL is set.
   */
  appUrl: string;
  /** The request pool's URL: DATABASE_POOLER_URL (a transaction-pooling PgBouncer) if set, else appUrl. */
  appPoolUrl: string;
  /**
   * Set when the app role's password is ours to manage (derived from the owner URL): the migration step makes
   * sure the role can log in with it. Unset when DATABASE_APP_URL was configured explicitly.
   */
  managedAppPassword?: string;
}

export const EMBEDDED_DATABASE_NAME = 'inventory';

export function secretStoreFor(env: Environment): SecretStore {
  return new SecretStore(join(resolveProjectPath(env.DATA_DIR), 'secrets'));
}

/** Derives the endpoints from the owner URL and the configuration. */
export function databaseEndpoints(env: Environment, ownerUrl: string): DatabaseEndpoints {
  if (env.DATABASE_APP_URL) {
    const appUrl = env.DATABASE_APP_URL;
    return { ownerUrl, appUrl, appPoolUrl: poolUrl(env, appUrl) };
  }
  const password = env.DATABASE_APP_PASSWORD ?? secretStoreFor(env).getOrCreate('database-app-password');
  const url = new URL(ownerUrl);
  url.username = APP_ROLE;
  url.password = encodeURIComponent(password);
  const appUrl = url.toString();
  return { ownerUrl, appUrl, appPoolUrl: poolUrl(env, appUrl), managedAppPassword: password };
}

/** DATABASE_POOLER_URL, with the app role's user and password when it names no user; else the app URL. */
function poolUrl(env: Environment, appUrl: string): string {
  if (!env.DATABASE_POOLER_URL) return appUrl;
  const pooler = new URL(env.DATABASE_POOLER_URL);
  if (pooler.username) return env.DATABASE_POOLER_URL;
  const app = new URL(appUrl);
  pooler.username = app.username;
  pooler.password = app.password;
  return pooler.toString();
}

/**
 * The database server for this process: DATABASE_URL when set (nothing embedded starts), otherwise the
 * embedded PostgreSQL, started or joined. `stop` stops the embedded server if this process owns it.
 */
export async function openDatabaseServer(
  env: Environment,
  log: (message: string) => void,
): Promise<{ endpoints: DatabaseEndpoints; embedded?: EmbeddedPostgres; stop: () => Promise<void> }> {
  if (env.DATABASE_URL) {
    return { endpoints: databaseEndpoints(env, env.DATABASE_URL), stop: () => Promise.resolve() };
  }
  const embedded = await EmbeddedPostgres.start({
    dataDir: resolveProjectPath(env.EMBEDDED_PG_DATA_DIR),
    port: env.EMBEDDED_PG_PORT,
    superuserPassword: secretStoreFor(env).getOrCreate('embedded-postgres-password'),
    database: EMBEDDED_DATABASE_NAME,
    log,
  });
  return { endpoints: databaseEndpoints(env, embedded.url), embedded, stop: () => embedded.stop() };
}
