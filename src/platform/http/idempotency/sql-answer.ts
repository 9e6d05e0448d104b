import type { Response } from 'express';
import { DomainException } from '../problem-details/problem-details.js';

/**
 * The answer of a SQL function that claims the Idempotency-Key in its own transaction and does the work in one
 * round trip (post_movement, reserve_stock; db/functions/claim_idempotency_key.sql): `replayed` when an earlier
 * request with the same key and body did the work, whose status and body these are.
 */
export interface SqlAnswer<Body> {
  replayed: boolean;
  status: number;
  body: Body;
}

/** The Idempotency-Key header of such a route, checked as the interceptor checks it for every other POST. */
export function idempotencyKeyOf(header: string | undefined): string | undefined {
  if (header !== undefined && (header.length < 1 || header.length > 255)) {
    throw new DomainException('bad-request', 'Idempotency-Key must be 1-255 characters');
  }
  return header;
}

/** Sends a SqlAnswer as the interceptor sends a replay: its status, and Idempotent-Replayed: true on a replay. */
export function sendSqlAnswer<Body>(response: Response, answer: SqlAnswer<Body>): Body {
  if (answer.replayed) response.setHeader('Idempotent-Replayed', 'true');
  response.status(answer.status);
  return answer.body;
}
