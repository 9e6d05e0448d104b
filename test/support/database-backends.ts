import type { TestDatabase } from './test-database-server.js';

/** A client backend of the test database, as pg_stat_activity shows it. */
export interface DatabaseBackend {
  pid: number;
  applicationName: string;
  user: string;
  state: string | null;
  query: string | null;
}

/** The client backends connected to `database` whose application_name starts with `applicationNamePrefix`. */
export async function databaseBackends(
  database: TestDatabase,
  applicationNamePrefix: string,
): Promise<DatabaseBackend[]> {
  return database.query<DatabaseBackend>(
    `select pid, application_name as "applicationName", usename as "user", state, left(query, 200) as query
       from pg_stat_activity
      where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
        and starts_with(application_name, $1)
      order by pid`,
    [applicationNamePrefix],
  );
}

/**
 * After a client process died (kill -9), PostgreSQL may still be executing what it had sent: a COMMIT already in
 * the backend's socket buffer still commits, after the process is gone. A backend leaves pg_stat_activity only
 * when it exits, after its transaction committed or rolled back, so once none of the dead process's backends is
 * left, what is committed is final. Polls (as the database owner) until no client backend whose
 * application_name starts with `applicationNamePrefix` remains; the caller makes sure that only the dead process
 * connected with that prefix. Fails after `timeoutMs`, naming the backends still there.
 */
export async function waitUntilBackendsGone(
  database: TestDatabase,
  applicationNamePrefix: string,
  { timeoutMs = 15_000, pollMs = 20 }: { timeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const backends = await databaseBackends(database, applicationNamePrefix);
    if (backends.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${backends.length} backend(s) of '${applicationNamePrefix}*' still connected to ${database.name} ` +
          `${timeoutMs} ms after the process died:\n` +
          backends
            .map((b) => `  pid ${b.pid} ${b.applicationName} (${b.user}) ${b.state ?? '?'}: ${b.query ?? ''}`)
            .join('\n'),
      );
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
