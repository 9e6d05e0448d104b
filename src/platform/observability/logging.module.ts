import {
  type DynamicModule,
  Global,
  Inject,
  type MiddlewareConsumer,
  Module,
  type NestModule,
  RequestMethod,
} from '@nestjs/common';
import type { Logger } from 'pino';
import type { HttpLogger } from 'pino-http';
import { bindRequestLogger, createHttpLogger } from './http-logging.js';
import { PinoNestLogger } from './pino-nest-logger.js';

const HTTP_LOGGER = Symbol('HttpLogger');

/**
 * `{/*splat}` without a leading slash matches every path, `/` included, and Nest accepts it without its
 * wildcard-conversion warning.
 */
const EVERY_ROUTE = { path: '{/*splat}', method: RequestMethod.ALL };

/**
 * Request logging (pino-http) and Nest's logger (`PinoNestLogger`, installed by configureApp), both on the root
 * logger the app was built with. Global because Nest mounts the middleware of global modules first: the request
 * id and logger exist before ClsModule's and MetricsModule's middleware run.
 */
@Global()
@Module({})
export class LoggingModule implements NestModule {
  static forRoot(logger: Logger): DynamicModule {
    const httpLogger = createHttpLogger(logger);
    return {
      module: LoggingModule,
      providers: [
        { provide: HTTP_LOGGER, useValue: httpLogger },
        { provide: PinoNestLogger, useValue: new PinoNestLogger(httpLogger.logger) },
      ],
      exports: [PinoNestLogger],
    };
  }

  constructor(@Inject(HTTP_LOGGER) private readonly httpLogger: HttpLogger) {}

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(this.httpLogger, bindRequestLogger).forRoutes(EVERY_ROUTE);
  }
}
