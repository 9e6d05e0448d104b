import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

const ACCEPTED_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID = Symbol('requestId');

type WithRequestId = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * The request's id: the caller's X-Request-Id when it is a sane token, otherwise a new UUID. Computed once and
 * remembered on the request, so the logger, the CLS context and error responses all agree.
 */
export function requestIdOf(request: IncomingMessage): string {
  const holder = request as WithRequestId;
  if (holder[REQUEST_ID]) return holder[REQUEST_ID];
  const offered = request.headers['x-request-id'];
  const id = typeof offered === 'string' && ACCEPTED_REQUEST_ID.test(offered) ? offered : randomUUID();
  holder[REQUEST_ID] = id;
  return id;
}
