import type { NestExpressApplication } from '@nestjs/platform-express';
import { json } from 'express';
import helmet from 'helmet';
import type { Environment } from './platform/config/environment.js';
import { refuseDeepBodies } from './platform/http/json-depth.js';
import { ProblemDetailsFilter } from './platform/http/problem-details/problem-details.filter.js';
import { createValidationPipe } from './platform/http/validation/validation.pipe.js';
import { PinoNestLogger } from './platform/observability/pino-nest-logger.js';
import { setupOpenApi } from './openapi.js';

/** Body limit of PUT /api/counts/:id/lines (up to 10,000 lines). */
const COUNT_LINES_BODY_LIMIT = '8mb';

/**
 * Everything about the HTTP application that is not a module: used by main.ts and by the e2e test factory,
 * so tests exercise exactly what production serves. Initialises the app (routes registered) on return.
 */
export async function configureApp(app: NestExpressApplication, env: Environment): Promise<void> {
  app.useLogger(app.get(PinoNestLogger));
  app.set('trust proxy', env.TRUST_PROXY);
  app.disable('x-powered-by');
  app.use(
    helmet({
      // Swagger UI at /docs needs its inline script and styles.
      contentSecurityPolicy: {
        directives: {
          'script-src': ["'self'", "'unsafe-inline'"],
          'img-src': ["'self'", 'data:', 'validator.swagger.io'],
        },
      },
    }),
  );
  const origins = env.CORS_ORIGIN.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0) {
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      exposedHeaders: ['X-Request-Id', 'Retry-After'],
    });
  }
  // Count lines may come 10,000 at a time (about 1.2 MB): that one route gets a larger limit; body-parser skips
  // a body that is already parsed, so the global parser below leaves it alone.
  app.use(
    /^\/api\/counts\/[^/]+\/lines$/,
    json({ limit: COUNT_LINES_BODY_LIMIT, type: ['application/json', 'application/*+json'] }),
  );
  app.useBodyParser('json', { limit: env.BODY_LIMIT, type: ['application/json', 'application/*+json'] });
  app.useBodyParser('urlencoded', { limit: env.BODY_LIMIT, extended: false });
  app.use(refuseDeepBodies);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter());
  setupOpenApi(app);
  await app.init();
}
