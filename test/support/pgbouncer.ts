import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './free-port.js';

/** Debian's package `pgbouncer` (1.18 on Debian 12) installs the binary here. */
export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
  /** Any URL of the database to pool (host, port and database are used; the credentials are not). */
  serverUrl: string;
  /** The one role PgBouncer lets in (SCRAM, plain-text password in its auth file) and its admin. */
  user: string;
  password: string;
  /** Server connections for the database, at most (default_pool_size = max_db_connections). */
  poolSize: number;
  /** PgBouncer's connect_query: run once on every new server connection (e.g. SET statement_timeout). */
  connectQuery?: string;
}

export interface PgBouncer {
  port: number;
  /** URL of the pooled database through PgBouncer, without credentials (the service fills in the app role's). */
  url: string;
  /** A statement on PgBouncer's admin console (SHOW POOLS, SHOW SERVERS, ...). */
  admin<Row extends object>(command: string): Promise<Row[]>;
  /** What PgBouncer logged so far. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a real PgBouncer in transaction pooling mode on 127.0.0.1 in front of one database, from a generated
 * configuration in a temporary directory. Throws (never skips) when PgBouncer is not installed. As root it
 * runs as `nobody` (PgBouncer refuses to run as root), so its directory and files are world-readable.
 */
export async function startPgBouncer(options: PgBouncerOptions): Promise<PgBouncer> {
  try {
    accessSync(PGBOUNCER_BINARY, constants.X_OK);
  } catch {
    throw new Error(
      `PgBouncer is not installed (${PGBOUNCER_BINARY} is missing): install the Debian package "pgbouncer" ` +
        '(apt-get install -y pgbouncer)',
    );
  }
  const server = new URL(options.serverUrl);
  const database = decodeURIComponent(server.pathname.replace(/^\//, ''));
  const port = await freePort();
  const directory = await mkdtemp(join(tmpdir(), 'pgbouncer-test-'));
  await chmod(directory, 0o755);
  const authFile = join(directory, 'userlist.txt');
  const configFile = join(directory, 'pgbouncer.ini');
  const quote = (value: string) => `"${value.replace(/"/g, '""')}"`;
  await writeFile(authFile, `${quote(options.user)} ${quote(options.password)}\n`, { mode: 0o644 });
  const connectQuery = options.connectQuery
    ? ` connect_query='${options.connectQuery.replace(/'/g, "''")}'`
    : '';
  await writeFile(
    configFile,
    [
      '[databases]',
      `${database} = host=${server.hostname.replace(/^\[|\]$/g, '')} port=${server.port || '5432'} dbname=${database}${connectQuery}`,
      '',
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = scram-sha-256',
      `auth_file = ${authFile}`,
      `admin_users = ${options.user}`,
      'pool_mode = transaction',
      `default_pool_size = ${options.poolSize}`,
      `max_db_connections = ${options.poolSize}`,
      'min_pool_size = 0',
      'reserve_pool_size = 0',
      'max_client_conn = 200',
      'logfile =',
      'pidfile =',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );

  const asRoot = process.getuid?.() === 0;
  const child: ChildProcess = spawn(PGBOUNCER_BINARY, [...(asRoot ? ['-u', 'nobody'] : []), configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const url = `postgres://127.0.0.1:${port}/${encodeURIComponent(database)}`;
  const credentials = (target: string) => {
    const withUser = new URL(target);
    withUser.username = options.user;
    withUser.password = encodeURIComponent(options.password);
    return withUser.toString();
  };
  const stop = async () => {
    if (running) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(directory, { recursive: true, force: true });
  };

  // Ready when a client can log in through it (which also proves the auth file and the server behind it).
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!running) {
      await stop();
      throw new Error(`PgBouncer exited at start-up:\n${output}`);
    }
    const probe = new pg.Client({ connectionString: credentials(url) });
    try {
      await probe.connect();
      await probe.query('select 1');
      break;
    } catch (error) {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(
          `PgBouncer did not accept a login within 10 s (${(error as Error).message}):\n${output}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    } finally {
      await probe.end().catch(() => undefined);
    }
  }

  return {
    port,
    url,
    admin: async <Row extends object>(command: string) => {
      const adminClient = new pg.Client({
        connectionString: credentials(`postgres://127.0.0.1:${port}/pgbouncer`),
      });
      await adminClient.connect();
      try {
        // No parameters: node-pg uses the simple query protocol, the only one the admin console speaks.
        return (await adminClient.query<Row>(command)).rows;
      } finally {
        await adminClient.end();
      }
    },
    log: () => output,
    stop,
  };
}
