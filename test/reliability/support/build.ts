import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
// Only node: imports here and in ../../kit/build.js: jest's globalSetup loads this file through tsx.
import { DIST, ensureBuilt, ROOT } from '../../kit/build.js';

/**
 * The suite runs a copy of dist/ taken at its start: `nest build` deletes dist/ first (deleteOutDir), and a
 * build by anyone else during a scenario would otherwise pull the service out from under a restart. Node finds
 * node_modules and the project root (package.json) by walking up from data/reliability/build, as from dist/.
 */
export const BUILD_DIR = join(ROOT, 'data', 'reliability', 'build');

/** Builds if needed, then copies dist/ to BUILD_DIR (see there). */
export function snapshotBuild(): void {
  ensureBuilt();
  rmSync(BUILD_DIR, { recursive: true, force: true });
  cpSync(DIST, BUILD_DIR, { recursive: true });
}
