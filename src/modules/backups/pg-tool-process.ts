import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ToolRun {
  /** Shown in errors and logs, e.g. `pg_dump`. */
  label: string;
  command: string;
  args: string[];
  password: string | undefined;
  timeoutMs: number;
  /** Consumes the child's stdout (pg_dump's archive); stdout is ignored without it. */
  consumeStdout?: (stdout: Readable) => Promise<void>;
  /** Every stderr line (with --verbose, the tools name each object they process). */
  onStderrLine?: (line: string) => void;
  /** Aborting stops the tool (SIGTERM): its work is no longer wanted. */
  signal?: AbortSignal;
}

const STDERR_TAIL = 30;
const IMPORTANT = /\b(error|fatal|detail|hint|warning):|terminated/i;
const KILL_GRACE_MS = 5000;

/**
 * Runs a PostgreSQL client tool as a child process, so the dump's work and memory never touch the event
 * loop. The password travels as PGPASSWORD in the child's environment, never on its command line; the other
 * PG* variables of this process are dropped so the child connects exactly where the URI says. Resolves when it
 * exits 0 and its stdout was consumed; rejects with the last lines of its stderr otherwise, or when it runs
 * past `timeoutMs` (SIGTERM, then SIGKILL).
 */
export async function runTool(run: ToolRun): Promise<void> {
  const env: NodeJS.ProcessEnv = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('PG')),
  );
  if (run.password !== undefined) env.PGPASSWORD = run.password;
  env.PGCONNECT_TIMEOUT = '10';
  const child = spawn(run.command, run.args, {
    env,
    stdio: ['ignore', run.consumeStdout ? 'pipe' : 'ignore', 'pipe'],
  });

  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > STDERR_TAIL) tail.shift();
    run.onStderrLine?.(line);
  });

  const stop = (): void => {
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS).unref();
  };
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, run.timeoutMs);
  run.signal?.addEventListener('abort', stop, { once: true });
  if (run.signal?.aborted) stop();

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal }));
  });
  const consumed = run.consumeStdout
    ? run.consumeStdout(child.stdout!).catch((error: unknown) => {
        // Our side failed (disk full, ...): the tool must not keep running into a broken pipe.
        child.kill('SIGTERM');
        throw error;
      })
    : Promise.resolve();
  const [exit, output] = await Promise.allSettled([exited, consumed]);
  clearTimeout(timer);
  run.signal?.removeEventListener('abort', stop);

  if (exit.status === 'rejected') {
    const error = exit.reason as NodeJS.ErrnoException;
    throw new Error(
      error.code === 'ENOENT'
        ? `${run.label} not found (${run.command})`
        : `${run.label} could not start: ${error.message}`,
    );
  }
  if (timedOut) throw new Error(`${run.label} timed out after ${run.timeoutMs} ms (BACKUP_TIMEOUT_MS)`);
  if (run.signal?.aborted) {
    throw new Error(
      `${run.label} stopped: ${(run.signal.reason as Error | undefined)?.message ?? 'aborted'}`,
    );
  }
  if (output.status === 'rejected') {
    throw new Error(`writing the output of ${run.label} failed: ${(output.reason as Error).message}`);
  }
  const { code, signal } = exit.value;
  if (code !== 0) {
    const how = code === null ? `was killed by ${signal}` : `exited with code ${code}`;
    // With --verbose most lines are progress; the error, detail and hint lines are what explains a failure.
    const telling = tail.filter((line) => IMPORTANT.test(line));
    const shown = telling.length > 0 ? telling : tail.slice(-3);
    throw new Error(`${run.label} ${how}${shown.length > 0 ? `: ${shown.join(' | ')}` : ''}`);
  }
}
