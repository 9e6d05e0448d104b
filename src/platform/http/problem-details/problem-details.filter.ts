import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { requestIdOf } from '../request-id.js';
import { mapPostgresError } from './postgres-error-mapping.js';
import {
  DomainException,
  PROBLEM_CONTENT_TYPE,
  type ProblemCore,
  type ProblemDetails,
} from './problem-details.js';

const TYPE_BY_STATUS: Record<number, [type: string, title: string]> = {
  400: ['bad-request', 'Bad request'],
  401: ['unauthorized', 'Not authenticated'],
  403: ['forbidden', 'Forbidden'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  406: ['not-acceptable', 'Not acceptable'],
  409: ['conflict', 'Conflict'],
  413: ['payload-too-large', 'Payload too large'],
  415: ['unsupported-media-type', 'Unsupported media type'],
  422: ['unprocessable', 'Unprocessable request'],
  429: ['rate-limited', 'Too many requests'],
  503: ['service-unavailable', 'Service unavailable'],
};

/** Errors raised by body-parser before any controller runs carry `type` and `status`. */
interface BodyParserError {
  type: string;
  status?: number;
  statusCode?: number;
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
      const [type, title] = TYPE_BY_STATUS[status] ?? [
        status >= 500 ? 'internal-error' : 'error',
        exception.name,
      ];
      if (status === 404 && exception.message.startsWith('Cannot ')) {
        return {
          type: 'route-not-found',
          title,
          status,
          detail: `No route ${request.method} ${base.instance}`,
          ...base,
        };
      }
      if (status >= 500) this.logUnexpected(exception, request);
      return {
        type,
        title,
        status,
        detail: status >= 500 ? 'The server could not handle the request' : exception.message,
        ...base,
      };
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
      title: 'Internal server error',
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
  const { type, status, statusCode, limit } = exception as BodyParserError;
  if (typeof type !== 'string') return undefined;
  switch (type) {
    case 'entity.parse.failed':
      return {
        type: 'malformed-json',
        title: 'Malformed JSON',
        status: 400,
        detail: 'The request body is not valid JSON',
      };
    case 'entity.too.large':
      return {
        type: 'payload-too-large',
        title: 'Payload too large',
        status: 413,
        detail: `The request body exceeds the limit of ${limit ?? 'the configured'} bytes`,
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        type: 'unsupported-media-type',
        title: 'Unsupported media type',
        status: 415,
        detail: 'The body encoding or charset is not supported',
      };
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return {
        type: 'bad-request',
        title: 'Bad request',
        status: status ?? statusCode ?? 400,
        detail: 'The request body could not be read',
      };
    default:
      return undefined;
  }
}
