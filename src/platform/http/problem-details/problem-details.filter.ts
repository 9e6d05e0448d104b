import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../request-id.js';
import { mapPostgresError } from './postgres-error-mapping.js';
import {
  DomainException,
  PROBLEM_CONTENT_TYPE,
  type ProblemCore,
  type ProblemDetails,
  problemOf,
} from './problem-details.js';
import { type FixedStatusProblemType, PROBLEM_TYPES } from './problem-types.js';

/** The slug a bare HttpException gets, found by its status (each of these has a status of its own). */
const TYPE_BY_STATUS = new Map<number, FixedStatusProblemType>(
  (
    [
      'bad-request',
      'unauthorized',
      'forbidden',
      'not-found',
      'method-not-allowed',
      'not-acceptable',
      'conflict',
      'payload-too-large',
      'unsupported-media-type',
      'unprocessable',
      'rate-limited',
      'service-unavailable',
    ] as const
  ).map((type) => [PROBLEM_TYPES[type].status, type]),
);

/** Errors raised by body-parser before any controller runs carry a `type` (and `limit` when too large). */
interface BodyParserError {
  type: string;
  limit?: number;
}

/**
 * The one place errors become responses: everything, including framework and database errors, leaves as
 * RFC 9457 application/problem+json. Unexpected errors are logged with the request id and answered with a
 * generic 500 that leaks no stack, SQL or value.
 */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetails');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const problem = this.toProblem(exception, request);

    if (response.headersSent) {
      // A streamed response failed half-way: the status line is gone, so all we can do is cut it off.
      response.destroy();
      return;
    }
    if (exception instanceof HttpException) {
      const retryAfter = (exception.getResponse() as { retryAfter?: unknown })?.retryAfter;
      if (typeof retryAfter === 'number' || typeof retryAfter === 'string')
        response.setHeader('Retry-After', String(retryAfter));
    }
    response.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
  }

  toProblem(exception: unknown, request: Request): ProblemDetails {
    const base = { instance: request.originalUrl?.split('?')[0], requestId: requestIdOf(request) };

    if (exception instanceof DomainException) {
      // Extensions first: an extension named like a core member (status, type) must never replace it.
      return {
        ...exception.extensions,
        type: exception.type,
        title: exception.title,
        status: exception.status,
        detail: exception.message,
        ...base,
      };
    }
    // body-parser errors arrive wrapped by the Express adapter (original as `cause`) or, from other layers, raw.
    const bodyError = bodyParserError(exception instanceof HttpException ? exception.cause : exception);
    if (bodyError) return { ...bodyError, ...base };

    if (exception instanceof HttpException) {
      const status: number = exception.getStatus();
      if (status === 404 && exception.message.startsWith('Cannot ')) {
        return { ...problemOf('route-not-found', `No route ${request.method} ${base.instance}`), ...base };
      }
      if (status >= 500) this.logUnexpected(exception, request);
      const detail = status >= 500 ? 'The server could not handle the request' : exception.message;
      const type = TYPE_BY_STATUS.get(status);
      if (type) return { ...problemOf(type, detail), ...base };
      // A status without a slug of its own: the status-generic slugs keep the exception's status.
      const generic = status >= 500 ? 'internal-error' : 'error';
      return { type: generic, title: PROBLEM_TYPES[generic].title, status, detail, ...base };
    }
    const mapped = mapPostgresError(exception);
    if (mapped) {
      if (mapped.status >= 500)
        this.logger.warn({ err: exception, requestId: base.requestId }, mapped.detail);
      return { ...mapped, ...base };
    }

    this.logUnexpected(exception, request);
    return {
      type: 'internal-error',
      title: PROBLEM_TYPES['internal-error'].title,
      status: 500,
      detail: `An unexpected error occurred; quote request id ${base.requestId} when reporting it`,
      ...base,
    };
  }

  private logUnexpected(exception: unknown, request: Request): void {
    this.logger.error(
      { err: exception, requestId: requestIdOf(request), method: request.method, url: request.originalUrl },
      'unhandled error',
    );
  }
}

function bodyParserError(exception: unknown): ProblemCore | undefined {
  if (typeof exception !== 'object' || exception === null) return undefined;
  const { type, limit } = exception as BodyParserError;
  if (typeof type !== 'string') return undefined;
  switch (type) {
    case 'entity.parse.failed':
      return problemOf('malformed-json', 'The request body is not valid JSON');
    case 'entity.too.large':
      return problemOf(
        'payload-too-large',
        `The request body exceeds the limit of ${limit ?? 'the configured'} bytes`,
      );
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return problemOf('unsupported-media-type', 'The body encoding or charset is not supported');
    case 'request.aborted':
    case 'request.size.invalid':
      return problemOf('bad-request', 'The request body could not be read');
    // stream.encoding.set (raw-body's 500 for a stream some code had already decoded) is a fault of the
    // server, not of the request: it takes the unexpected-error path and is logged.
    default:
      return undefined;
  }
}
