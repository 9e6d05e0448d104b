import { describe, expect, it } from '@jest/globals';
import { DomainException } from '../problem-details/problem-details.js';
import { decodeCursor, encodeCursor, toPage } from './pagination.js';

describe('cursor pagination', () => {
  const position = { createdAt: '2026-11-26T10:00:00.123Z', id: '0b9f3c1e-52a4-4d7e-9c55-1f2e3d4c5b6a' };

  it('round-trips a cursor', () => {
    expect(decodeCursor(encodeCursor(position))).toEqual(position);
    expect(decodeCursor(undefined)).toBeUndefined();
  });

  it.each([
    'garbage',
    Buffer.from('[1,2]').toString('base64url'),
    Buffer.from('["x","y"]').toString('base64url'),
  ])('rejects the foreign cursor %j with a 400 invalid-cursor', (cursor) => {
    expect(() => decodeCursor(cursor)).toThrow(DomainException);
    try {
      decodeCursor(cursor);
    } catch (error) {
      expect(error).toMatchObject({ status: 400, type: 'invalid-cursor' });
    }
  });

  it('returns limit rows and a cursor at the last one when one more row was fetched', () => {
    const rows = [0, 1, 2].map((n) => ({
      id: `00000000-0000-4000-8000-00000000000${n}`,
      createdAt: new Date(1000 * n),
    }));
    const sut = toPage(rows, 2, (row) => row.id);
    expect(sut.data).toEqual([rows[0].id, rows[1].id]);
    expect(decodeCursor(sut.nextCursor!)).toEqual({
      createdAt: rows[1].createdAt.toISOString(),
      id: rows[1].id,
    });
    expect(toPage(rows, 3, (row) => row.id).nextCursor).toBeNull();
  });
});
