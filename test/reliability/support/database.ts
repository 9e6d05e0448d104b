import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../kit/build.js';
import { type EmbeddedDatabase, startEmbeddedDatabase } from '../../kit/embedded-database.js';

/** Everything the suite writes outside docs/: one cluster per scenario and the result files. */
export const RELIABILITY_DIR = join(ROOT, 'data', 'reliability');
/** Service logs of the last run of each scenario (support/service.ts). */
export const LOGS_DIR = join(RELIABILITY_DIR, 'logs');

/**
 * A scenario's own embedded PostgreSQL under ./data/reliability/<scenario> (test/kit/embedded-database.ts): the
 * database-loss scenario stops and restarts it without touching the shared server of `npm test`.
 */
export type ReliabilityDatabase = EmbeddedDatabase;

/** Starts the scenario's database afresh and deletes the service logs of its last run. */
export async function startDatabase(scenario: string): Promise<ReliabilityDatabase> {
  mkdirSync(LOGS_DIR, { recursive: true });
  for (const file of readdirSync(LOGS_DIR).filter((name) => name.startsWith(`${scenario}-`)))
    rmSync(join(LOGS_DIR, file));
  return startEmbeddedDatabase(join(RELIABILITY_DIR, scenario));
}
