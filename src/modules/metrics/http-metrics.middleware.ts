import { Injectable, type NestMiddleware } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { NextFunction, Request, Response } from 'express';
import type { Histogram } from 'prom-client';
import { HTTP_REQUEST_DURATION } from './metric-names.js';

/** The pattern this middleware is mounted on; Express reports it as the route of requests no handler matched. */
export const ALL_ROUTES = '*path';

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
          typeof template === 'string' && !template.endsWith(ALL_ROUTES)
            ? `${request.baseUrl}${template}`
            : 'unmatched',
        status: String(response.statusCode),
      });
    });
    next();
  }
}
