import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Only node: imports: the reliability suite's globalSetup loads this file through tsx (outside jest).
export const ROOT = resolve(import.meta.dirname, '../..');
/** What `nest build` writes; the service and the CLI run from here as production runs them. */
export const DIST = join(ROOT, 'dist');

/** The service's entry file in a build directory (dist/, or a copy of it). */
export function serviceEntry(dist = DIST): string {
  return join(dist, 'src/main.js');
}

/** The CLI's entry file in a build directory (dist/, or a copy of it). */
export function cliEntry(dist = DIST): string {
  return join(dist, 'src/cli/main.js');
}

function newestMtime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Child-process tests and benchmarks run the built service (dist/), as production does. CI builds before it
 * tests; a local run rebuilds here when src/ or migrations/ changed since the last build, so nothing runs stale
 * code.
 */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(serviceEntry()).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'migrations')))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}
