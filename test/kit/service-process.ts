import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { freePort } from '../support/free-port.js';
import { cliEntry, DIST, ensureBuilt, ROOT, serviceEntry } from './build.js';

const OUTPUT_CAP = 256 * 1024;

export interface ServiceProcessOptions {
  /** The service's environment (PATH is added, PORT set); nothing else is inherited from this process. */
  env: Record<string, string>;
  /** Listen on this port (a restart on the same port); a free one otherwise. */
  port?: number;
  /** The build to run: dist/ (rebuilt first if src/ changed) unless a copy of it is named. */
  dist?: string;
  /** Names the process in messages. */
  name?: string;
  /** Also appends everything the process writes to this file. */
  logFile?: string;
  /** The process writes to this process's stdout and stderr instead of being captured (benchmarks). */
  inheritOutput?: boolean;
  /** Node options placed before the entry point (--cpu-prof and the like, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
  /** Gives up (and kills the process) when GET /health/ready has not answered 200 by then; default 60 s. */
  readyTimeoutMs?: number;
  /** How often readiness is polled; default 100 ms. */
  pollMs?: number;
}

export interface ServiceProcess {
  name: string;
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** From spawn to the first 200 of /health/ready. */
  readyAfterMs: number;
  /** The last 256 KB the process wrote on stdout and stderr (for failure messages; empty with inheritOutput). */
  output(): string;
  /** Resident set size of the process in bytes (from /proc). */
  rss(): number;
  /** Sends `signal` (SIGTERM: graceful shutdown) unless the process is gone; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** kill -9; resolves when the process is gone. */
  kill(): Promise<void>;
}

/**
 * Starts `node dist/src/main.js` (the built service, as production runs it) and waits until /health/ready
 * answers 200: it listens, the database answers and every migration is applied.
 */
export async function startServiceProcess(options: ServiceProcessOptions): Promise<ServiceProcess> {
  if (!options.dist) ensureBuilt();
  const name = options.name ?? 'service';
  const port = options.port ?? (await freePort());
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const started = performance.now();
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), serviceEntry(options.dist ?? DIST)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env, PORT: String(port) },
    stdio: options.inheritOutput ? ['ignore', 'inherit', 'inherit'] : ['ignore', 'pipe', 'pipe'],
  });
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  let output = '';
  const append = (chunk: Buffer) => {
    log?.write(chunk);
    output += chunk.toString();
    if (output.length > OUTPUT_CAP) output = output.slice(-OUTPUT_CAP);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      log?.end();
      done(code);
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    const ready = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    if (ready?.status === 200) break;
    if (performance.now() - started > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready in ${timeoutMs / 1000} s:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, options.pollMs ?? 100));
  }
  const running = () => child.exitCode === null && child.signalCode === null;
  return {
    name,
    url,
    port,
    pid: child.pid!,
    child,
    readyAfterMs: performance.now() - started,
    output: () => output,
    rss: () => {
      const kilobytes = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1];
      return Number(kilobytes) * 1024;
    },
    stop: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (running()) child.kill(signal);
      return exited;
    },
    kill: async () => {
      if (running()) child.kill('SIGKILL');
      await exited;
    },
  };
}

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node dist/src/cli/main.js <args>` to its end, as an operator does, with PATH and `env` only. */
export function runBuiltCli(
  args: string[],
  options: { env: Record<string, string>; dist?: string; timeoutMs?: number },
): CliRun {
  if (!options.dist) ensureBuilt();
  const result = spawnSync(process.execPath, [cliEntry(options.dist ?? DIST), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    encoding: 'utf8',
    timeout: options.timeoutMs,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
