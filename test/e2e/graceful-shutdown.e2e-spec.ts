import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { httpApi, platformLogin } from '../kit/api.js';
import { startService, type ServiceProcess } from '../kit/test-database-service.js';
import { TEST_PLATFORM_ADMIN } from '../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database-server.js';

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Fails with `what` unless `promise` settles within `ms` (a deadline for a condition, not a pause). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/**
 * One HTTP/1.1 connection written byte by byte by the test, so a request can be left half sent (headers
 * without the whole body, or part of the headers) and finished when the test decides. Responses are parsed
 * by Content-Length (what the service sends), or read until the server closes the connection.
 */
class RawConnection {
  /** Settles when the socket closes: `error` is the error code if it was reset (or failed otherwise). */
  readonly closed: Promise<{ error?: string }>;
  private buffer = Buffer.alloc(0);
  private ended = false;
  private error: string | undefined;
  private pending: { resolve: (response: RawResponse) => void; reject: (error: Error) => void } | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.settle();
    });
    socket.on('end', () => {
      this.ended = true;
      this.settle();
    });
    this.closed = new Promise((resolve) => {
      socket.on('error', (error: NodeJS.ErrnoException) => {
        this.error = error.code ?? error.message;
        this.settle();
      });
      socket.on('close', () => {
        this.ended = true;
        this.settle();
        resolve(this.error ? { error: this.error } : {});
      });
    });
  }

  /** Resolves once the TCP handshake is complete: from then on the connection has reached the server's kernel. */
  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new RawConnection(socket));
      });
    });
  }

  /** Resolves once `text` is handed to the kernel (on loopback: in the server's socket buffer). */
  write(text: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(text, (error) => (error ? reject(error) : resolve())),
    );
  }

  nextResponse(): Promise<RawResponse> {
    if (this.pending) throw new Error('one response at a time');
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.settle();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private settle(): void {
    if (!this.pending) return;
    const parsed = this.parse();
    const pending = this.pending;
    if (parsed) {
      this.pending = undefined;
      pending.resolve(parsed);
    } else if (this.error || this.ended) {
      this.pending = undefined;
      pending.reject(
        new Error(this.error ?? `connection closed before a complete response (${this.buffer.length} bytes)`),
      );
    }
  }

  private parse(): RawResponse | undefined {
    const headerEnd = this.buffer.indexOf('\r\n\r\n');
    if (headerEnd < 0) return undefined;
    const [statusLine, ...lines] = this.buffer.subarray(0, headerEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    if (headers['transfer-encoding']) throw new Error(`unexpected transfer-encoding in ${statusLine}`);
    const length = headers['content-length'];
    const bodyStart = headerEnd + 4;
    let bodyEnd: number;
    if (length !== undefined) {
      bodyEnd = bodyStart + Number(length);
      if (this.buffer.length < bodyEnd) return undefined;
    } else {
      if (!this.ended) return undefined;
      bodyEnd = this.buffer.length;
    }
    const body = this.buffer.subarray(bodyStart, bodyEnd).toString('utf8');
    this.buffer = this.buffer.subarray(bodyEnd);
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1]), headers, body };
  }
}

function httpRequest(method: string, path: string, headers: Record<string, string>, body = ''): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (body) lines.push('Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Polls /proc until the process is stopped (state T), so what the test sends next cannot be read yet. */
async function waitUntilStopped(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T') return;
    if (Date.now() > deadline)
      throw new Error(`process ${pid} is not stopped after SIGSTOP (state ${state})`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Polls until a new connection to `port` is refused: the service has closed its listener. */
async function waitUntilRefused(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    if (outcome === 'ECONNREFUSED') return;
    if (outcome !== 'connected') throw new Error(`probing the listener failed: ${outcome}`);
    if (Date.now() > deadline) throw new Error('the service still accepts connections 10 s after SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('graceful shutdown (SIGTERM) of the built service', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    await database?.drop();
  });

  it('answers every request that reached it before SIGTERM, is not ready while draining, then exits 0', async () => {
    const service: ServiceProcess = await startService(database, { THROTTLE_LIMIT: '100000' });
    const open: RawConnection[] = [];
    try {
      const port = Number(new URL(service.url).port);
      const auth = {
        Authorization: `Bearer ${await platformLogin(httpApi(service.url), TEST_PLATFORM_ADMIN)}`,
      };
      expect((await fetch(`${service.url}/health/ready`)).status).toBe(200);
      const connection = async (): Promise<RawConnection> => {
        const opened = await RawConnection.open(port);
        open.push(opened);
        return opened;
      };

      // Keep-alive connections answered once already: six carry a second request at SIGTERM, one stays idle.
      const reused = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const reusable = await connection();
          await reusable.write(httpRequest('GET', '/api/items?limit=1', auth));
          const first = await reusable.nextResponse();
          expect([first.status, first.headers.connection]).toEqual([200, 'keep-alive']);
          return reusable;
        }),
      );
      const idle = await connection();
      await idle.write(httpRequest('GET', '/health', {}));
      expect((await idle.nextResponse()).status).toBe(200);

      // Freeze the service: what follows reaches its kernel (handshakes completed in the accept backlog,
      // requests in socket buffers) but not the process, which gets SIGTERM before it can read any of it.
      service.child.kill('SIGSTOP');
      await waitUntilStopped(service.child.pid!);
      const slowBodies = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const slow = await connection();
          const request = httpRequest(
            'POST',
            '/api/items',
            auth,
            JSON.stringify({ sku: `GS-${i}`, name: `Graceful ${i}`, baseUom: 'ea' }),
          );
          const cut = request.length - 20;
          await slow.write(request.slice(0, cut)); // headers and part of the body
          return { slow, rest: request.slice(cut) };
        }),
      );
      const fresh = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const complete = await connection();
          await complete.write(httpRequest('GET', '/api/items?limit=1', auth));
          return complete;
        }),
      );
      await Promise.all(
        reused.map((reusable) => reusable.write(httpRequest('GET', '/api/items?limit=1', auth))),
      );
      const readiness = await connection();
      const readinessRequest = httpRequest('GET', '/health/ready', {});
      await readiness.write(readinessRequest.slice(0, 20)); // part of the request line
      const silent = await connection(); // connects, never sends anything

      const exited = service.stop('SIGTERM'); // pending until the process runs again
      service.child.kill('SIGCONT');

      // The complete requests, fresh or on a reused keep-alive connection, are answered.
      const answers = await within(
        Promise.all(
          [...fresh, ...reused].map((complete) =>
            complete.nextResponse().then(
              (response) => response.status,
              (error: Error) => error.message,
            ),
          ),
        ),
        30_000,
        'answers to the complete requests',
      );
      expect(answers).toEqual(Array.from({ length: 12 }, () => 200));

      // The listener closes while requests are still in flight; the idle keep-alive connection is closed by
      // the server (not reset), the half-sent requests are still waited for.
      await waitUntilRefused(port);
      expect(await within(idle.closed, 10_000, 'the idle keep-alive connection closed')).toEqual({});

      // Readiness, asked while draining: 503.
      await readiness.write(readinessRequest.slice(20));
      const ready = await within(readiness.nextResponse(), 10_000, 'readiness answer');
      expect(ready.status).toBe(503);
      expect((JSON.parse(ready.body) as { status: string }).status).toBe('shutting_down');
      expect(ready.headers.connection).toBe('close');

      // The half-sent request bodies are completed only now, after SIGTERM and after the listener closed.
      const created = await within(
        Promise.all(
          slowBodies.map(async ({ slow, rest }) => {
            await slow.write(rest);
            return slow.nextResponse().then(
              (response) => `${response.status} ${response.headers.connection}`,
              (error: Error) => error.message,
            );
          }),
        ),
        30_000,
        'answers to the half-sent requests',
      );
      expect(created).toEqual(Array.from({ length: 8 }, () => '201 close'));

      // Every connection was closed by the server without a reset (the silent one after the grace period),
      // and the service stopped cleanly.
      expect(await within(exited, 20_000, 'service exit')).toBe(0);
      const closings = await Promise.all(open.map((each) => each.closed));
      expect(closings.filter((closing) => closing.error)).toEqual([]);
      expect(await silent.closed).toEqual({});
      const [{ items }] = await database.query<{ items: number }>(
        `select count(*)::int as items from items where sku like 'GS-%'`,
      );
      expect(items).toBe(8);
    } catch (error) {
      process.stderr.write(`service output:\n${service.output()}\n`);
      throw error;
    } finally {
      for (const each of open) each.destroy();
      if (service.child.exitCode === null && service.child.signalCode === null) {
        service.child.kill('SIGCONT');
        await service.stop('SIGKILL');
      }
    }
  });
});
