import { join } from 'node:path';
import type { Environment } from '../config/environment.js';
import { resolveProjectPath } from '../config/project-paths.js';
import { SecretStore } from '../config/secret-store.js';
import { APP_ROLE } from './database-roles.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/** Where the two connection pools point. */
export interface DatabaseEndpoints {
  /** Owner role: migrations and system jobs that must see every tenant. */
  ownerUrl: string;
  /** App role for the request path (row-level security applies). */
  appUrl: string;
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

/** Derives both endpoints from the owner URL and the configuration. */
export function databaseEndpoints(env: Environment, ownerUrl: string): DatabaseEndpoints {
  if (env.DATABASE_APP_URL) return { ownerUrl, appUrl: env.DATABASE_APP_URL };
  const password = env.DATABASE_APP_PASSWORD ?? secretStoreFor(env).getOrCreate('database-app-password');
  const appUrl = new URL(ownerUrl);
  appUrl.username = APP_ROLE;
  appUrl.password = encodeURIComponent(password);
  return { ownerUrl, appUrl: appUrl.toString(), managedAppPassword: password };
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
