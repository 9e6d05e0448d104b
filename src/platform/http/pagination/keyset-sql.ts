import { encodeKeyCursor, type Page } from './pagination.js';

/**
 * Positional parameters for a statement built from optional filters: `add(value)` returns `$n`. Values are
 * always bound, never spliced into the SQL text.
 */
export class SqlParameters {
  readonly values: unknown[] = [];

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The one keyset-pagination helper for raw SQL. `columns` are the SQL expressions of the order key (the same
 * expressions the statement orders by, e.g. `date_trunc('milliseconds', created_at)` and `id`), `after` the
 * decoded cursor of the previous page (decodeCursor / decodeKeyCursor), `direction` the order of every key column.
 * Returns the condition for the WHERE clause, the ORDER BY list and the LIMIT parameter (limit + 1 rows: the
 * extra one tells whether there is a next page).
 */
export function keysetSql(
  parameters: SqlParameters,
  columns: string[],
  after: string[] | undefined,
  limit: number,
  direction: 'asc' | 'desc' = 'asc',
): { where: string; orderBy: string; limit: string } {
  const where = after
    ? `(${columns.join(', ')}) ${direction === 'asc' ? '>' : '<'} (${after.map((value) => parameters.add(value)).join(', ')})`
    : 'true';
  return {
    where,
    orderBy: columns.map((column) => `${column} ${direction}`).join(', '),
    limit: parameters.add(limit + 1),
  };
}

/** The page from `limit + 1` rows: `key` gives the last shown row's cursor values, `present` the API view. */
export function pageFromRows<Row, View>(
  rows: Row[],
  limit: number,
  key: (row: Row) => string[],
  present: (row: Row) => View,
): Page<View> {
  const more = rows.length > limit;
  const shown = more ? rows.slice(0, limit) : rows;
  const last = shown.at(-1);
  return { data: shown.map(present), nextCursor: more && last ? encodeKeyCursor(key(last)) : null };
}
