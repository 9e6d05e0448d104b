import { DomainException } from '../../platform/http/problem-details/problem-details.js';

/** Feed cursors are opaque to clients: a position in the tenant's commit order, base64url-encoded. */
const PREFIX = 'feed:';
const POSITION = /^\d{1,19}$/;
const MAX_POSITION = 2n ** 63n - 1n;

export function encodeFeedCursor(position: string): string {
  return Buffer.from(`${PREFIX}${position}`).toString('base64url');
}

/** The position of a cursor the API issued ('0' without one); anything else is a 400. */
export function decodeFeedCursor(cursor: string | undefined): string {
  if (cursor === undefined) return '0';
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const position = text.startsWith(PREFIX) ? text.slice(PREFIX.length) : '';
  if (!POSITION.test(position) || BigInt(position) > MAX_POSITION)
    throw new DomainException('invalid-cursor', 'after is not a cursor of the event feed');
  return BigInt(position).toString();
}
