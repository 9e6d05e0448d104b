import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * What global-setup hands to every test file, through environment variables (jest workers inherit them).
 * TEST_PG_ADMIN_URL points at the server's `postgres` database as the owner role.
 */
export const TEST_APP_PASSWORD = 'test-app-role-password-0123456789';

export function testServer(): { adminUrl: string; templateDatabase: string } {
  const adminUrl = process.env.TEST_PG_ADMIN_URL;
  const templateDatabase = process.env.TEST_TEMPLATE_DATABASE;
  if (!adminUrl || !templateDatabase)
    throw new Error('test/support/global-setup.ts did not run (no TEST_PG_ADMIN_URL)');
  return { adminUrl, templateDatabase };
}

export function databaseUrl(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(
  adminUrl: string,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  name: string;
  /** Owner-role URL of the new database. */
  url: string;
  /** One statement as the owner (sees every tenant): ground truth for assertions. */
  query<Row extends object>(sql: string, params?: unknown[]): Promise<Row[]>;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: milliseconds, and isolated from every other test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const { adminUrl, templateDatabase } = testServer();
  const runPrefix = templateDatabase.replace(/template$/, '');
  const name = `${runPrefix}w${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(5).toString('hex')}`;
  await withAdminClient(adminUrl, (client) =>
    client.query(
      `create database ${client.escapeIdentifier(name)} template ${client.escapeIdentifier(templateDatabase)}`,
    ),
  );
  const url = databaseUrl(adminUrl, name);
  return {
    name,
    url,
    query: <Row extends object>(sql: string, params?: unknown[]) =>
      withAdminClient(url, async (client) => (await client.query<Row>(sql, params)).rows),
    drop: () =>
      withAdminClient(adminUrl, (client) =>
        client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`),
      ).then(() => undefined),
  };
}
