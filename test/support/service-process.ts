import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { ensureBuilt, ENTRY, ROOT } from './build.js';
import { freePort } from './free-port.js';
import { TEST_JWT_SECRET, TEST_PLATFORM_ADMIN } from './test-app.js';
import { TEST_APP_PASSWORD, type TestDatabase } from './test-database-server.js';

export interface ServiceProcess {
  url: string;
  child: ChildProcess;
  /** Resident set size of the service process in bytes (from /proc). */
  rss(): number;
  /** Everything the process wrote on stdout and stderr so far (for failure messages). */
  output(): string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `node dist/src/main.js` on `database` with the test defaults and waits until /health answers. */
export async function startService(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  ensureBuilt();
  const port = await freePort();
  const child = spawn(process.execPath, [ENTRY], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      MIGRATIONS_RUN: 'false',
      DATABASE_URL: database.url,
      DATABASE_APP_PASSWORD: TEST_APP_PASSWORD,
      JWT_SECRET: TEST_JWT_SECRET,
      SCHEDULERS_ENABLED: 'false',
      WEBHOOK_DISPATCHER_ENABLED: 'false',
      BOOTSTRAP_ADMIN_EMAIL: TEST_PLATFORM_ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: TEST_PLATFORM_ADMIN.password,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`service did not become healthy in 30 s:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return {
    url,
    child,
    rss: () => {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kilobytes = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
      return Number(kilobytes) * 1024;
    },
    output: () => output,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}
