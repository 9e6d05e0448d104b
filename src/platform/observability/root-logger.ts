import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { Environment } from '../config/environment.js';

export type LogFormat = 'json' | 'pretty';

/**
 * LOG_FORMAT=auto: human-readable lines only for a person at a terminal in development, JSON everywhere else
 * (production, tests, CI, pipes, log collectors), because JSON is what machines read. `json` and `pretty`
 * force one whatever the terminal.
 */
export function chooseLogFormat(
  env: Pick<Environment, 'LOG_FORMAT' | 'NODE_ENV'>,
  stdoutIsTerminal: boolean,
): LogFormat {
  if (env.LOG_FORMAT !== 'auto') return env.LOG_FORMAT;
  return stdoutIsTerminal && env.NODE_ENV === 'development' ? 'pretty' : 'json';
}

export interface RootLoggerOptions {
  /** Whether stdout is a terminal; default `process.stdout.isTTY`. */
  stdoutIsTerminal?: boolean;
  /** Where the lines go; default stdout (synchronous writes, so a line before process.exit is not lost). */
  destination?: NodeJS.WritableStream;
}

/**
 * One pino logger for the whole process: used before Nest exists (embedded database start-up) and handed to
 * LoggingModule afterwards (request lines and Nest's logger), so every line has the same fields and format.
 * Credentials never reach the log.
 */
export function createRootLogger(
  env: Pick<Environment, 'LOG_LEVEL' | 'LOG_FORMAT' | 'NODE_ENV'>,
  options: RootLoggerOptions = {},
): Logger {
  const stdoutIsTerminal = options.stdoutIsTerminal ?? process.stdout.isTTY === true;
  const format = chooseLogFormat(env, stdoutIsTerminal);
  const stream: DestinationStream | undefined =
    format === 'pretty'
      ? prettyStream(stdoutIsTerminal && !options.destination, options.destination)
      : options.destination;
  const settings = {
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
  };
  return stream ? pino(settings, stream) : pino(settings);
}

/**
 * pino-pretty in this thread (not a worker transport): `HH:MM:ss.l LEVEL: [Context] message`, and for
 * pino-http's lines `GET /api/items 200 12ms` instead of the req/res objects. Errors keep their stack.
 */
function prettyStream(colorize: boolean, destination?: NodeJS.WritableStream): DestinationStream {
  return pretty({
    colorize: colorize && pretty.isColorSupported,
    sync: true,
    ...(destination ? { destination } : {}),
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,service,context,req,res,responseTime',
    messageFormat: (log, messageKey) => {
      const context = typeof log.context === 'string' ? `[${log.context}] ` : '';
      const message = typeof log[messageKey] === 'string' ? log[messageKey] : '';
      return `${context}${message}${httpSummary(log)}`;
    },
  });
}

function httpSummary(log: Record<string, unknown>): string {
  const req = log.req as { method?: unknown; url?: unknown } | undefined;
  if (typeof req?.method !== 'string' || typeof req.url !== 'string') return '';
  const status = (log.res as { statusCode?: unknown } | undefined)?.statusCode;
  const time = log.responseTime;
  return (
    ` ${req.method} ${req.url}` +
    (typeof status === 'number' ? ` ${status}` : '') +
    (typeof time === 'number' ? ` ${time}ms` : '')
  );
}
