import { PassThrough } from 'node:stream';
import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { parseEnvironment } from '../config/environment.js';
import { chooseLogFormat, createRootLogger, type RootLoggerOptions } from './root-logger.js';

describe('chooseLogFormat', () => {
  it.each([
    // LOG_FORMAT, NODE_ENV, stdout is a terminal, expected
    ['auto', 'development', true, 'pretty'],
    ['auto', 'development', false, 'json'],
    ['auto', 'production', true, 'json'],
    ['auto', 'production', false, 'json'],
    ['auto', 'test', true, 'json'],
    ['auto', 'test', false, 'json'],
    ['json', 'development', true, 'json'],
    ['pretty', 'production', false, 'pretty'],
  ] as const)('LOG_FORMAT=%s NODE_ENV=%s terminal=%s -> %s', (format, nodeEnv, terminal, expected) => {
    expect(chooseLogFormat({ LOG_FORMAT: format, NODE_ENV: nodeEnv }, terminal)).toBe(expected);
  });

  it('defaults to auto, and refuses other values', () => {
    expect(parseEnvironment({}).LOG_FORMAT).toBe('auto');
    expect(parseEnvironment({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(() => parseEnvironment({ LOG_FORMAT: 'colourful' })).toThrow(/LOG_FORMAT/);
  });
});

describe('createRootLogger', () => {
  /** Logs three lines (one like pino-http's) through a root logger built for the given settings. */
  async function output(
    env: Record<string, string>,
    options: Omit<RootLoggerOptions, 'destination'>,
  ): Promise<string> {
    const destination = new PassThrough();
    const chunks: Buffer[] = [];
    destination.on('data', (chunk: Buffer) => chunks.push(chunk));
    const logger = createRootLogger(parseEnvironment(env), { ...options, destination });
    logger.child({ context: 'Bootstrap' }).info('embedded database started');
    logger.warn(
      { req: { id: 'r-1', method: 'GET', url: '/api/items' }, res: { statusCode: 404 }, responseTime: 7 },
      'request completed',
    );
    logger.info({ body: { email: 'a@example.com', password: 'hunter2-secret' } }, 'login');
    // pino-pretty formats in a stream pipeline, a few ticks later: wait for the last line's redacted field.
    const text = (): string => Buffer.concat(chunks).toString('utf8');
    for (let waited = 0; !text().includes('[redacted]') && waited < 2000; waited += 10) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    // Colours depend on the terminal that runs jest; the test reads the text.
    return stripVTControlCharacters(text());
  }

  it('writes one JSON object per line when stdout is no terminal (tests, CI, pipes)', async () => {
    const text = await output({ NODE_ENV: 'development' }, { stdoutIsTerminal: false });
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(3);
    const [first, second, third] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toMatchObject({
      level: 30,
      service: 'inventory-enterprise',
      context: 'Bootstrap',
      msg: 'embedded database started',
    });
    expect(typeof first.time).toBe('string');
    expect(second).toMatchObject({
      level: 40,
      req: { method: 'GET', url: '/api/items' },
      res: { statusCode: 404 },
    });
    expect(third).toMatchObject({ body: { password: '[redacted]' } });
  });

  it('keeps JSON in production even at a terminal', async () => {
    const text = await output({ NODE_ENV: 'production', ...productionSecrets }, { stdoutIsTerminal: true });
    expect(() =>
      text
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as unknown),
    ).not.toThrow();
  });

  it('writes human-readable lines at a terminal in development', async () => {
    const text = await output({ NODE_ENV: 'development' }, { stdoutIsTerminal: true });
    const lines = text.trim().split('\n');
    expect(lines[0]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[Bootstrap\] embedded database started$/);
    expect(lines[1]).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN: request completed GET \/api\/items 404 7ms$/);
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('{"level"');
  });

  it('follows LOG_FORMAT=pretty without a terminal', async () => {
    const text = await output({ NODE_ENV: 'test', LOG_FORMAT: 'pretty' }, { stdoutIsTerminal: false });
    expect(text).toMatch(/INFO: \[Bootstrap\] embedded database started/);
  });
});

const productionSecrets = {
  JWT_SECRET: 'j'.repeat(32),
  WEBHOOK_SECRET_KEY: 'w'.repeat(32),
};
