import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { projectRoot } from '../config/project-paths.js';

/** Where the current definition of every function and trigger lives (docs/database.md). */
export const SQL_DEFINITIONS_DIR = join(projectRoot, 'db');

export interface SqlDrift {
  kind: 'function' | 'trigger';
  /** `name(argument types)` of a function, `table.trigger` of a trigger. */
  name: string;
  problem: 'differs' | 'no file' | 'not in the database' | 'overloaded';
}

interface Definition {
  name: string;
  definition: string;
}

/**
 * Compares the database's functions and triggers with the files under `dir` (db/functions/*.sql,
 * db/triggers/*.sql), in one transaction that is always rolled back:
 * - functions: records pg_get_functiondef and the grants of every function of the schema, runs every function
 *   file (CREATE OR REPLACE), and compares. A file equal to the database changes nothing; one that differs
 *   shows as `differs`, a function no file defines as `no file` (a function a file re-creates has its catalog
 *   row written in this transaction, so xmin tells which ones the files cover), a function only a file has as
 *   `not in the database`, and a name with two signatures as `overloaded` (callers would pick one by accident);
 * - triggers: records pg_get_triggerdef of every trigger, drops them all, runs every trigger file and compares.
 * Needs the owner role (it replaces functions and drops triggers).
 */
export async function checkSqlDefinitions(
  owner: DataSource,
  dir: string = SQL_DEFINITIONS_DIR,
): Promise<SqlDrift[]> {
  const functionFiles = await sqlFiles(join(dir, 'functions'));
  const triggerFiles = await sqlFiles(join(dir, 'triggers'));
  const runner = owner.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const drift: SqlDrift[] = [];

    const functionsBefore = await functions(runner.query.bind(runner));
    for (const file of functionFiles) await runFile(runner.query.bind(runner), file);
    const functionsAfter = await functions(runner.query.bind(runner));
    const rewritten = (await runner.query(
      `select ${FUNCTION_NAME} as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace
        where n.nspname = current_schema() and p.xmin = pg_current_xact_id()::xid`,
    )) as { name: string }[];
    const covered = new Set(rewritten.map((row) => row.name));
    drift.push(...compare('function', functionsBefore, functionsAfter));
    for (const { name } of functionsBefore)
      if (!covered.has(name)) drift.push({ kind: 'function', name, problem: 'no file' });
    const byName = new Map<string, number>();
    for (const { name } of functionsAfter) {
      const base = name.slice(0, name.indexOf('('));
      byName.set(base, (byName.get(base) ?? 0) + 1);
    }
    for (const [name, count] of byName)
      if (count > 1) drift.push({ kind: 'function', name, problem: 'overloaded' });

    const triggersBefore = await triggers(runner.query.bind(runner));
    for (const { name } of triggersBefore) {
      const [table, trigger] = name.split('.');
      await runner.query(`drop trigger ${quoteIdent(trigger)} on ${quoteIdent(table)}`);
    }
    for (const file of triggerFiles) await runFile(runner.query.bind(runner), file);
    drift.push(...compare('trigger', triggersBefore, await triggers(runner.query.bind(runner))));

    return drift.sort((a, b) => a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name));
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

export function formatSqlDrift(drift: SqlDrift[]): string {
  if (drift.length === 0) return 'db/ and the database agree: every function and trigger has its file.';
  return drift.map((d) => `${d.kind} ${d.name}: ${d.problem}`).join('\n');
}

type Query = (sql: string) => Promise<unknown>;

const FUNCTION_NAME = `p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')'`;

/** Functions of the schema that belong to no extension, with their definition and grants. */
async function functions(query: Query): Promise<Definition[]> {
  return (await query(
    `select ${FUNCTION_NAME} as name,
            pg_get_functiondef(p.oid) || E'\\n-- grants: ' || coalesce(p.proacl::text, 'default') as definition
       from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname = current_schema() and p.prokind = 'f'
        and not exists (select from pg_depend d where d.objid = p.oid and d.deptype = 'e')
      order by 1`,
  )) as Definition[];
}

async function triggers(query: Query): Promise<Definition[]> {
  return (await query(
    `select c.relname || '.' || t.tgname as name, pg_get_triggerdef(t.oid) as definition
       from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = current_schema() and not t.tgisinternal
      order by 1`,
  )) as Definition[];
}

function compare(kind: SqlDrift['kind'], before: Definition[], after: Definition[]): SqlDrift[] {
  const old = new Map(before.map((d) => [d.name, d.definition]));
  const now = new Map(after.map((d) => [d.name, d.definition]));
  const drift: SqlDrift[] = [];
  for (const [name, definition] of now) {
    if (!old.has(name)) drift.push({ kind, name, problem: 'not in the database' });
    else if (old.get(name) !== definition) drift.push({ kind, name, problem: 'differs' });
  }
  // A trigger no file re-created (functions without a file are found through xmin instead).
  if (kind === 'trigger')
    for (const name of old.keys()) if (!now.has(name)) drift.push({ kind, name, problem: 'no file' });
  return drift;
}

async function sqlFiles(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.sql')).sort();
  return names.map((name) => join(dir, name));
}

async function runFile(query: Query, file: string): Promise<void> {
  const sql = await readFile(file, 'utf8');
  try {
    await query(sql);
  } catch (error) {
    throw new Error(`${file}: ${(error as Error).message}`, { cause: error });
  }
}

function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
