import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { currentRequestLogger } from './http-logging.js';

/** Nest prints an error's stack as a second string argument; a stack has `at` frames on its own lines. */
const STACK = /\n\s*at /;

/**
 * Nest's logger (installed by configureApp) writing to pino, with the fields nestjs-pino's `Logger` gave:
 * the last extra argument is `context`; an object message is merged into the line (an Error becomes `err`);
 * Nest's `error(message, stack, context)` becomes `err` with that stack. Inside a request the line goes
 * through the request's logger, so it carries `req`.
 */
export class PinoNestLogger implements LoggerService {
  /** `root`: the logger pino-http derived from the root logger (same fields and serializers). */
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: Level, message: unknown, optionalParams: unknown[]): void {
    const logger = currentRequestLogger() ?? this.root;
    const fields: Record<string, unknown> = {};
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    if (typeof message === 'object') {
      if (message instanceof Error) fields.err = message;
      else Object.assign(fields, message);
      logger[level](fields, ...(params as [string?, ...unknown[]]));
    } else if (
      level === 'error' &&
      typeof message === 'string' &&
      params.length === 1 &&
      typeof params[0] === 'string' &&
      STACK.test(params[0])
    ) {
      const err = new Error(message);
      err.stack = params[0];
      logger.error({ ...fields, err });
    } else {
      // Non-string messages go to pino as they are, as they always did.
      logger[level](fields, message as string, ...params);
    }
  }
}
