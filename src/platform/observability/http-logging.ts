import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { requestIdOf } from '../http/request-id.js';

/** The logger of the request being handled: pino-http's child of the root logger, bound to `req`. */
const requestLoggers = new AsyncLocalStorage<Logger>();

/**
 * pino-http on the root logger: one line per request when it finishes (`info`, `warn` for 4xx, `error` for 5xx),
 * with the request id of src/platform/http/request-id.ts, echoed in `X-Request-Id`. Only id, method, URL and
 * status are serialised; redaction comes from the root logger.
 */
export function createHttpLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    logger,
    genReqId: (request, response) => {
      const id = requestIdOf(request);
      response.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel: (_request, response, error) =>
      error || response.statusCode >= 500 ? 'error' : response.statusCode >= 400 ? 'warn' : 'info',
    serializers: {
      req: (request: { id: string; method: string; url: string }) => ({
        id: request.id,
        method: request.method,
        url: request.url,
      }),
      res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
    },
  });
}

/**
 * Mounted right after pino-http: the rest of the request runs with its logger current, so what Nest logs while
 * handling it carries the same `req` as the request's own line.
 */
export function bindRequestLogger(
  request: IncomingMessage,
  _response: ServerResponse,
  next: () => void,
): void {
  requestLoggers.run(request.log, next);
}

/** The current request's logger, or undefined outside a request (start-up, jobs, shutdown). */
export function currentRequestLogger(): Logger | undefined {
  return requestLoggers.getStore();
}
