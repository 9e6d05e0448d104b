import { describe, expect, it } from '@jest/globals';
import { pageFromRows, keysetSql, SqlParameters } from './keyset-sql.js';
import { decodeKeyCursor } from './pagination.js';

describe('keyset pagination for raw SQL', () => {
  it('binds the cursor values and asks for one row more than the page', () => {
    const parameters = new SqlParameters();
    parameters.add('receipt');
    const page = keysetSql(parameters, ['created_at', 'id'], ['2026-01-01T00:00:00.000Z', 'abc'], 50, 'desc');
    expect(page).toEqual({
      where: '(created_at, id) < ($2, $3)',
      orderBy: 'created_at desc, id desc',
      limit: '$4',
    });
    expect(parameters.values).toEqual(['receipt', '2026-01-01T00:00:00.000Z', 'abc', 51]);
  });

  it('has no condition on the first page', () => {
    const parameters = new SqlParameters();
    expect(keysetSql(parameters, ['id'], undefined, 10).where).toBe('true');
    expect(parameters.values).toEqual([11]);
  });

  it('pages: a next cursor only when the extra row came back, pointing at the last row shown', () => {
    const rows = [{ id: '1' }, { id: '2' }, { id: '3' }];
    const page = pageFromRows(
      rows,
      2,
      (row) => [row.id],
      (row) => Number(row.id),
    );
    expect(page.data).toEqual([1, 2]);
    expect(decodeKeyCursor(page.nextCursor!, [/^\d+$/])).toEqual(['2']);
    expect(
      pageFromRows(
        rows,
        3,
        (row) => [row.id],
        (row) => row,
      ).nextCursor,
    ).toBeNull();
  });
});
