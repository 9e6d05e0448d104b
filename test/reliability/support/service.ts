import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { freePort } from '../../support/free-port.js';
import { BUILD_DIR } from './build.js';
import { APP_PASSWORD, LOGS_DIR, ROOT, type ReliabilityDatabase } from './database.js';

/** The copy of dist/ the global set-up took (support/build.ts). */
const ENTRY = join(BUILD_DIR, 'src/main.js');
const OUTPUT_CAP = 256 * 1024;

export const JWT_SECRET = 'reliability-jwt-secret-0123456789abcdefghij';
export const WEBHOOK_SECRET_KEY = 'reliability-webhook-secret-key-0123456789';
export const PLATFORM_ADMIN = { email: 'platform-admin@example.com', password: 'reliability-platform-admin' };

/** The environment every service process of the suite gets (before a scenario's own variables). */
export function serviceEnvironment(database: ReliabilityDatabase): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    HOST: '127.0.0.1',
    DATA_DIR: database.dataDir,
    BACKUP_DIR: join(database.dataDir, 'backups'),
    MIGRATIONS_RUN: 'true',
    DATABASE_URL: database.ownerUrl,
    DATABASE_APP_PASSWORD: APP_PASSWORD,
    JWT_SECRET,
    WEBHOOK_SECRET_KEY,
    BOOTSTRAP_ADMIN_EMAIL: PLATFORM_ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
    THROTTLE_LIMIT: '1000000000',
    LOGIN_THROTTLE_LIMIT: '1000',
    SCHEDULERS_ENABLED: 'false',
    WEBHOOK_DISPATCHER_ENABLED: 'false',
  };
}

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  pid: number;
  /** From spawn to the first 200 of /health/ready. */
  readyAfterMs: number;
  /** The last 256 KB the process wrote on stdout and stderr (for failure messages). */
  output(): string;
  /** kill -9, resolves when the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful shutdown), resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `node dist/src/main.js` (the built service, as production runs it, from the suite's copy of dist/) and waits until /health/ready
 * answers 200: the database answers and every migration is applied.
 */
export async function startService(
  name: string,
  database: ReliabilityDatabase,
  env: Record<string, string> = {},
  port?: number,
): Promise<ServiceProcess> {
  const listenPort = port ?? (await freePort());
  const child: ChildProcess = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: { ...serviceEnvironment(database), PORT: String(listenPort), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Also kept in data/reliability/logs/<scenario>-<name>.log (restarts append) for a look after a failure.
  mkdirSync(LOGS_DIR, { recursive: true });
  const log = createWriteStream(join(LOGS_DIR, `${basename(database.dataDir)}-${name}.log`), { flags: 'a' });
  child.once('exit', () => log.end());
  let output = '';
  const append = (chunk: Buffer) => {
    log.write(chunk);
    output += chunk.toString();
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${listenPort}`;
  const spawnedAt = Date.now();
  const deadline = spawnedAt + 90_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    if (ready?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready in 90 s:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return {
    name,
    url,
    port: listenPort,
    pid: child.pid!,
    readyAfterMs: Date.now() - spawnedAt,
    output: () => output,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
