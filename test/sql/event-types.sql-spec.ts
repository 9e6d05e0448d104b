import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { SQL_DEFINITIONS_DIR } from '../../src/platform/database/sql-definitions.js';
import { EVENT_TYPES, EVENT_TYPE_NAMES, type EventType } from '../../src/platform/outbox/event-types.js';
import {
  openSqlDatabase,
  postMovement,
  sqlFixtures,
  type SqlDatabase,
  type SqlTenant,
} from '../support/sql-database.js';

const FUNCTIONS_DIR = join(SQL_DEFINITIONS_DIR, 'functions');

const isEventType = (type: string): type is EventType => Object.hasOwn(EVENT_TYPES, type);

/** The catalogue's types marked as written by SQL, sorted. */
const SQL_PRODUCED = EVENT_TYPE_NAMES.filter((type) => EVENT_TYPES[type].producedIn === 'sql').sort();

/** The SQL text with `--` and block comments blanked out (string literals kept), so a comment never matches. */
function withoutComments(sql: string): string {
  let out = '';
  for (let i = 0; i < sql.length; i++) {
    if (sql[i] === "'") {
      const end = closingQuote(sql, i);
      out += sql.slice(i, end + 1);
      i = end;
    } else if (sql.startsWith('--', i)) {
      const end = sql.indexOf('\n', i);
      i = (end === -1 ? sql.length : end) - 1;
    } else if (sql.startsWith('/*', i)) {
      const end = sql.indexOf('*/', i + 2);
      i = (end === -1 ? sql.length : end + 2) - 1;
      out += ' ';
    } else {
      out += sql[i];
    }
  }
  return out;
}

/** The index of the quote that closes the literal opened at `start` ('' is an escaped quote). */
function closingQuote(sql: string, start: number): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === "'" && sql[i + 1] === "'") i += 2;
    else if (sql[i] === "'") return i;
    else i++;
  }
  throw new Error(`unterminated string literal at ${start}`);
}

/** The rows of a VALUES list starting at `start`, each split into its top-level expressions. */
function valuesRows(sql: string, start: number): string[][] {
  const rows: string[][] = [];
  let depth = 0;
  let row: string[] = [];
  let expression = '';
  for (let i = start; i < sql.length; i++) {
    const char = sql[i];
    if (char === "'") {
      const end = closingQuote(sql, i);
      expression += sql.slice(i, end + 1);
      i = end;
    } else if (char === '(') {
      if (depth > 0) expression += char;
      depth++;
    } else if (char === ')') {
      depth--;
      if (depth > 0) expression += char;
      else {
        rows.push([...row, expression.trim()]);
        row = [];
        expression = '';
      }
    } else if (char === ',' && depth === 1) {
      row.push(expression.trim());
      expression = '';
    } else if (depth > 0) {
      expression += char;
    } else if (char !== ',' && !/\s/.test(char)) {
      break; // the end of the list: `;`, RETURNING, ON CONFLICT
    }
  }
  return rows;
}

/**
 * Every event type an `INSERT INTO outbox_events (...) VALUES ...` statement of the file writes. A type that is not
 * a string literal (or an insert from a SELECT) fails: this check could not see what it writes.
 */
function outboxTypesWritten(file: string, source: string): string[] {
  const sql = withoutComments(source);
  const types: string[] = [];
  for (const insert of sql.matchAll(/insert\s+into\s+(?:public\.)?outbox_events\s*\(([^)]*)\)\s*/gi)) {
    const columns = insert[1].split(',').map((column) => column.trim().toLowerCase());
    const typeColumn = columns.indexOf('type');
    if (typeColumn === -1) throw new Error(`${file}: an outbox_events insert without a type column`);
    const valuesAt = insert.index + insert[0].length;
    if (!/^values\b/i.test(sql.slice(valuesAt))) {
      throw new Error(`${file}: an outbox_events insert without VALUES: its event types cannot be checked`);
    }
    for (const row of valuesRows(sql, valuesAt + 'values'.length)) {
      const literal = /^'((?:[^']|'')*)'(?:::text)?$/.exec(row[typeColumn] ?? '');
      if (!literal) throw new Error(`${file}: outbox event type ${row[typeColumn]} is not a string literal`);
      types.push(literal[1].replaceAll("''", "'"));
    }
  }
  return types;
}

/**
 * SQL cannot import src/platform/outbox/event-types.ts: these tests keep db/functions and that catalogue in step,
 * by reading the functions' source and by running the one that writes events.
 */
describe('event types written by SQL', () => {
  it('db/functions writes only catalogued types marked as produced in SQL, and every one of them', async () => {
    const files = (await readdir(FUNCTIONS_DIR)).filter((name) => name.endsWith('.sql')).sort();
    const written = new Map<string, string[]>();
    for (const file of files) {
      for (const type of outboxTypesWritten(file, await readFile(join(FUNCTIONS_DIR, file), 'utf8')))
        written.set(type, [...(written.get(type) ?? []), file]);
    }
    const where = (type: string) => `${type} (${written.get(type)?.join(', ')})`;
    const catalogued = [...written.keys()].filter(isEventType);
    expect([...written.keys()].filter((type) => !isEventType(type)).map(where)).toEqual([]);
    expect(catalogued.filter((type) => EVENT_TYPES[type].producedIn !== 'sql').map(where)).toEqual([]);
    // And the other way round: a type the catalogue says SQL writes, which no function writes any more.
    expect(catalogued.sort()).toEqual(SQL_PRODUCED);
  });

  it('reads the type of each row of a VALUES list, and refuses what it cannot read', () => {
    const sql = `-- INSERT INTO outbox_events (tenant_id, type, payload) VALUES (t, 'in.comment', p);
      INSERT INTO outbox_events (tenant_id, type, payload)
      VALUES (p_tenant, 'a.one', jsonb_build_object('k', 'v', 'n', f(1, 2))),
             (p_tenant, 'b.it''s', '{}')
      RETURNING id;
      insert into outbox_events (type, tenant_id, payload) values ('c.three'::text, t, p);`;
    expect(outboxTypesWritten('x.sql', sql)).toEqual(['a.one', "b.it's", 'c.three']);
    expect(() =>
      outboxTypesWritten(
        'x.sql',
        `insert into outbox_events (tenant_id, type, payload) values (t, v_type, p)`,
      ),
    ).toThrow('is not a string literal');
    expect(() =>
      outboxTypesWritten('x.sql', `insert into outbox_events (tenant_id, type, payload) select t, 'x.y', p`),
    ).toThrow('without VALUES');
  });

  describe('post_movement()', () => {
    let db: SqlDatabase;
    let tenant: SqlTenant;

    beforeAll(async () => {
      db = await openSqlDatabase();
    });
    afterAll(() => db.close());
    beforeEach(async () => {
      await db.begin();
      tenant = await sqlFixtures.tenant(db);
    });
    afterEach(() => db.rollback());

    it('writes exactly the catalogue types produced in SQL', async () => {
      const item = await sqlFixtures.item(db, tenant);
      const location = await sqlFixtures.location(db, tenant);
      const line = { itemId: item, locationId: location, qty: '3' };
      await postMovement(db, tenant, { type: 'receipt', lines: [line] });
      await db.query(`select set_reorder_point($1, $2, $3, 1, 5)`, [tenant.id, item, location]);
      const reserve = async () => {
        const [{ result }] = await db.query<{ result: { body: { id: string } } }>(
          `select reserve_stock($1, null, 'system', null, null, $2, null) as result`,
          [tenant.id, { reference: 'SO-1', lines: [{ ...line, qty: '1' }] }],
        );
        return result.body.id;
      };
      await postMovement(db, tenant, {
        type: 'issue',
        reservationId: await reserve(),
        lines: [{ ...line, qty: '1' }],
      });
      // available 2, then 1 (at the reorder point: low), then 2 again (restocked)
      await db.query(`select release_reservation($1, $2, null)`, [tenant.id, await reserve()]);
      const events = await db.query<{ type: string }>(
        `select distinct type from outbox_events order by type`,
      );
      // reservation.expired needs time to pass, which one transaction cannot see: test/sql/reservation-expiry.
      expect(events.map((event) => event.type)).toEqual(
        SQL_PRODUCED.filter((type) => type !== 'reservation.expired'),
      );
    });
  });
});
