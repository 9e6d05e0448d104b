import pg from 'pg';
import type { DataSource } from 'typeorm';
import { APP_ROLE } from './database-roles.js';
import type { DatabaseEndpoints } from './database-endpoints.js';

/** Advisory lock key held while migrating, so that replicas starting together migrate one at a time. */
const MIGRATION_LOCK_KEY = 7_364_001;

/** Applies pending migrations (each in its own transaction) under an advisory lock; returns their names. */
export async function migrateToLatest(owner: DataSource): Promise<string[]> {
  const lock = owner.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await owner.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}

/** Whether the database lacks migrations this build knows about. */
export async function hasPendingMigrations(owner: DataSource): Promise<boolean> {
  return owner.showMigrations();
}

/**
 * When the app role's password is ours to manage, make sure the role can log in with it: try, and only if
 * the password is refused, set it as the owner. Trying first keeps replicas from rewriting it at every start.
 */
export async function ensureAppRoleLogin(owner: DataSource, endpoints: DatabaseEndpoints): Promise<void> {
  if (endpoints.managedAppPassword === undefined) return;
  if (await canLogIn(endpoints.appUrl)) return;
  const [{ statement }] = await owner.query<[{ statement: string }]>(
    `select format('ALTER ROLE %I WITH LOGIN PASSWORD %L', $1::text, $2::text) as statement`,
    [APP_ROLE, endpoints.managedAppPassword],
  );
  await owner.query(statement);
}

async function canLogIn(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === '28P01') return false;
    throw error;
  } finally {
    await client.end().catch(() => undefined);
  }
}
