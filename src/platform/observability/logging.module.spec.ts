import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Controller, Get, Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { parseEnvironment } from '../config/environment.js';
import { LoggingModule } from './logging.module.js';
import { PinoNestLogger } from './pino-nest-logger.js';
import { createRootLogger } from './root-logger.js';

@Controller('probe')
class ProbeController {
  private readonly logger = new Logger('Probe');

  @Get('ok')
  async ok(): Promise<{ ok: true }> {
    // After an await, so the request's logger must survive the async hop.
    await new Promise((resolve) => setImmediate(resolve));
    this.logger.log('handling');
    return { ok: true };
  }

  @Get('boom')
  boom(): never {
    throw new Error('kaboom');
  }
}

/** The JSON lines written so far, parsed. */
type Line = Record<string, unknown>;

describe('LoggingModule', () => {
  const chunks: Buffer[] = [];
  const lines = (): Line[] =>
    Buffer.concat(chunks)
      .toString('utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Line);
  let app: NestExpressApplication;

  beforeAll(async () => {
    const destination = new PassThrough();
    destination.on('data', (chunk: Buffer) => chunks.push(chunk));
    const env = parseEnvironment({ NODE_ENV: 'test', LOG_LEVEL: 'info', LOG_FORMAT: 'json' });
    const moduleRef = await Test.createTestingModule({
      imports: [LoggingModule.forRoot(createRootLogger(env, { destination, stdoutIsTerminal: false }))],
      controllers: [ProbeController],
    }).compile();
    app = moduleRef.createNestApplication<NestExpressApplication>({ logger: false });
    app.useLogger(app.get(PinoNestLogger));
    await app.init();
  });

  afterAll(async () => {
    await app.close();
  });

  it('logs one line per request with id, method, URL, status and time, and echoes the id', async () => {
    const response = await supertest(app.getHttpServer()).get('/probe/ok').set('X-Request-Id', 'r-ok-1');
    expect(response.headers['x-request-id']).toBe('r-ok-1');
    const request = lines().filter((line) => (line.req as { id?: string } | undefined)?.id === 'r-ok-1');
    expect(request).toEqual([
      expect.objectContaining({ level: 30, context: 'Probe', msg: 'handling' }),
      expect.objectContaining({
        level: 30,
        service: 'inventory-enterprise',
        req: { id: 'r-ok-1', method: 'GET', url: '/probe/ok' },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
        msg: 'request completed',
      }),
    ]);
  });

  it('logs 4xx at warn and 5xx at error, and replaces an unusable request id with a UUID', async () => {
    const missing = await supertest(app.getHttpServer()).get('/nowhere').set('X-Request-Id', 'not usable');
    const id = missing.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    await supertest(app.getHttpServer()).get('/probe/boom').set('X-Request-Id', 'r-boom-1');
    const byId = (wanted: string) => lines().filter((line) => (line.req as { id?: string })?.id === wanted);
    expect(byId(id).at(-1)).toMatchObject({ level: 40, res: { statusCode: 404 } });
    expect(byId('r-boom-1').at(-1)).toMatchObject({
      level: 50,
      req: { method: 'GET', url: '/probe/boom' },
      res: { statusCode: 500 },
      msg: 'request errored',
    });
  });

  it("gives Nest's log calls outside a request their context, an object's fields and an error's stack", () => {
    const logger = new Logger('Outside');
    logger.warn({ requestId: 'q-1' }, 'with fields');
    logger.error('failed', 'Error: failed\n    at somewhere (file.js:1:1)');
    const [fields, failed] = lines().slice(-2);
    expect(fields).toMatchObject({ level: 40, context: 'Outside', requestId: 'q-1', msg: 'with fields' });
    expect(fields).not.toHaveProperty('req');
    expect(failed).toMatchObject({
      level: 50,
      context: 'Outside',
      err: { message: 'failed', stack: 'Error: failed\n    at somewhere (file.js:1:1)' },
    });
  });
});
