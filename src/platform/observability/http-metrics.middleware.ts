import { Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import type { Histogram } from 'prom-client';
import { HTTP_REQUEST_DURATION } from './metric-names.js';

/** The pattern this middleware is mounted on. */
export const ALL_ROUTES = '*path';

/**
 * Requests no controller matched carry the route of a catch-all middleware or of Nest's not-found handler
 * (`*path`, `{/*splat}`). Controllers never declare wildcards, so a wildcard in the template means unmatched.
 */
function isWildcard(template: string): boolean {
  return template.includes('*');
}

/**
 * Times every HTTP request. The `route` label is the matched route template (`/api/items/:id`), never the
 * raw URL, so label cardinality stays bounded; requests that matched no route share one label.
 */
@Injectable()
export class HttpMetricsMiddleware implements NestMiddleware {
  constructor(
    @InjectMetric(HTTP_REQUEST_DURATION) private readonly duration: Histogram<'method' | 'route' | 'status'>,
  ) {}

  use(request: Request, response: Response, next: NextFunction): void {
    const stopTimer = this.duration.startTimer();
    response.once('finish', () => {
      const template = (request.route as { path?: unknown } | undefined)?.path;
      stopTimer({
        method: request.method,
        route:
          typeof template === 'string' && !isWildcard(template)
            ? `${request.baseUrl}${template}`
            : 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  }
}
