import pg from 'pg';

/**
 * How the PostgreSQL client tools and the backup module's own connections reach a database: the owner URL of
 * DatabaseEndpoints (DATABASE_URL, or the embedded server), with another database name when asked.
 */
export interface ToolTarget {
  /** libpq connection URI without the password, safe to put on a command line (visible in `ps`). */
  uri: string;
  /** Handed to the child process as PGPASSWORD, never on its command line. */
  password: string | undefined;
}

/** The owner URL pointing at `database` instead of its own database. */
export function urlForDatabase(ownerUrl: string, database?: string): string {
  const url = new URL(ownerUrl);
  if (database !== undefined) url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

export function databaseNameOf(ownerUrl: string): string {
  return decodeURIComponent(new URL(ownerUrl).pathname.replace(/^\//, ''));
}

export function toolTarget(ownerUrl: string, database?: string): ToolTarget {
  const url = new URL(urlForDatabase(ownerUrl, database));
  const password = url.password === '' ? undefined : decodeURIComponent(url.password);
  url.password = '';
  return { uri: url.toString(), password };
}

/** The owner URL with its password replaced by `***`, for messages. */
export function maskedUrl(ownerUrl: string, database?: string): string {
  const url = new URL(urlForDatabase(ownerUrl, database));
  if (url.password !== '') url.password = '***';
  return url.toString();
}

/**
 * A connection of its own (outside the owner pool): backup work holds it for minutes (the snapshot that
 * pg_dump shares, the scratch database), and a long job must never wait for, or starve, the small pool.
 */
export async function connectOwner(
  ownerUrl: string,
  database?: string,
  applicationName = 'inventory-enterprise:backup',
): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: urlForDatabase(ownerUrl, database),
    application_name: applicationName,
    connectionTimeoutMillis: 10_000,
  });
  await client.connect();
  return client;
}
