import { describe, expect, it } from '@jest/globals';
import { decodeFeedCursor, encodeFeedCursor } from './event-feed-cursor.js';

describe('event feed cursors', () => {
  it('round-trip a position, and start at 0 without one', () => {
    expect(decodeFeedCursor(encodeFeedCursor('123456789012'))).toBe('123456789012');
    expect(decodeFeedCursor(undefined)).toBe('0');
  });

  it.each([
    ['garbage', 'not-a-cursor'],
    ['a list cursor', Buffer.from('["2026-01-01T00:00:00Z","x"]').toString('base64url')],
    ['a negative position', Buffer.from('feed:-1').toString('base64url')],
    ['a position beyond bigint', Buffer.from('feed:9223372036854775808').toString('base64url')],
    ['an empty position', Buffer.from('feed:').toString('base64url')],
  ])('refuse %s with invalid-cursor', (_case, cursor) => {
    expect(() => decodeFeedCursor(cursor)).toThrow(expect.objectContaining({ type: 'invalid-cursor' }));
  });
});
