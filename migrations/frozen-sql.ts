import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/platform/config/project-paths.js';

/**
 * The SQL a migration runs, from its own folder `migrations/sql/<migration name>/`: a frozen copy of the
 * definitions in db/ as they were when the migration was written. db/ always holds the current definition;
 * these copies are never edited, so replaying history gives the same database (docs/database.md).
 */
export function frozenSql(migration: string, file: string): string {
  return readFileSync(join(projectRoot, 'migrations', 'sql', migration, file), 'utf8');
}
