import { pino, type Logger } from 'pino';
import type { Environment } from '../../config/environment.js';

/**
 * One pino logger for the whole process: used before Nest exists (embedded database start-up) and handed to
 * nestjs-pino afterwards, so every line is JSON with the same fields. Credentials never reach the log.
 */
export function createRootLogger(env: Pick<Environment, 'LOG_LEVEL'>): Logger {
  return pino({
    level: env.LOG_LEVEL,
    base: { service: 'inventory-enterprise' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-api-key"]',
        'req.headers.cookie',
        'res.headers["set-cookie"]',
        '*.password',
        '*.secret',
      ],
      censor: '[redacted]',
    },
  });
}
