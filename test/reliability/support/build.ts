import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

// Only node: imports: jest's globalSetup loads this file through tsx.
const ROOT = resolve(import.meta.dirname, '../../..');
const ENTRY = join(ROOT, 'dist/src/main.js');

/**
 * The suite runs a copy of dist/ taken at its start: `nest build` deletes dist/ first (deleteOutDir), and a
 * build by anyone else during a scenario would otherwise pull the service out from under a restart. Node finds
 * node_modules and the project root (package.json) by walking up from data/reliability/build, as from dist/.
 */
export const BUILD_DIR = join(ROOT, 'data', 'reliability', 'build');

function newestMtime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** As test/support/service-process.ts: rebuild dist/ when src/ or migrations/ changed since the last build. */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(ENTRY).mtimeMs;
  } catch {
    built = 0;
  }
  if (built >= Math.max(newestMtime(join(ROOT, 'src')), newestMtime(join(ROOT, 'migrations')))) return;
  execFileSync(process.execPath, [join(ROOT, 'node_modules/@nestjs/cli/bin/nest.js'), 'build'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
}

/** Builds if needed, then copies dist/ to BUILD_DIR (see there). */
export function snapshotBuild(): void {
  ensureBuilt();
  rmSync(BUILD_DIR, { recursive: true, force: true });
  cpSync(join(ROOT, 'dist'), BUILD_DIR, { recursive: true });
}
