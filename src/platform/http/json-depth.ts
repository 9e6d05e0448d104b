import type { NextFunction, Request, Response } from 'express';
import { DomainException } from './problem-details/problem-details.js';

/**
 * Deepest nesting of objects and arrays accepted in a request body. The API's own bodies nest three levels
 * (count lines) and free-form settings a few more; 64 leaves room for any honest client.
 */
export const MAX_JSON_DEPTH = 64;

/** Whether `value` nests objects or arrays more than `limit` levels deep (iterative: no recursion to overflow). */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const pending: Array<[node: unknown, depth: number]> = [[value, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return false;
}

/**
 * Express middleware after the body parsers: a body nested deeper than MAX_JSON_DEPTH is a 400 before anything
 * walks it. JSON.parse takes any depth, but class-transformer, class-validator and the idempotency fingerprint
 * recurse, and a body a few thousand levels deep overflowed the stack there (a 500, found by the fuzz suite).
 */
export function refuseDeepBodies(request: Request, _response: Response, next: NextFunction): void {
  const body: unknown = request.body;
  if (body !== null && typeof body === 'object' && nestedDeeperThan(body, MAX_JSON_DEPTH)) {
    next(
      new DomainException(
        'bad-request',
        `The request body nests objects or arrays more than ${MAX_JSON_DEPTH} levels deep`,
      ),
    );
    return;
  }
  next();
}
