import { afterEach, describe, expect, it, jest } from '@jest/globals';
import type { ConfigService } from '@nestjs/config';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { Environment } from '../../platform/config/environment.js';
import type { ClaimedDelivery } from './webhook-queue.repository.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { type Fetch, WebhookSender } from './webhook-sender.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

const settings: Record<string, unknown> = {
  WEBHOOK_SECRET_KEY: 'unit-test-webhook-secret-key',
  WEBHOOK_RETRY_DELAYS: '100,200,300',
  // The guard refuses private targets: IP literals need no DNS.
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: false,
};
const config = { get: (key: string) => settings[key] } as unknown as ConfigService<Environment, true>;
const secrets = new WebhookSecrets(config);
const secret = secrets.generate();

function sender(fetch: Fetch): WebhookSender {
  return new WebhookSender(secrets, new WebhookUrlGuard(config), config, fetch);
}

/** A fake fetch answering `status`, recording what it was asked. */
function answering(status: number) {
  return jest.fn<Fetch>(() => Promise.resolve(new Response(status === 204 ? null : 'body', { status })));
}

function delivery(overrides: Partial<ClaimedDelivery> = {}): ClaimedDelivery {
  return {
    id: '00000000-0000-4000-8000-000000000001',
    attempts: 1,
    event_id: '00000000-0000-4000-8000-0000000000e1',
    event_type: 'item.created',
    payload: { sku: 'S-1' },
    event_created_at: new Date('2026-01-02T03:04:05.678Z'),
    endpoint_id: '00000000-0000-4000-8000-0000000000a1',
    url: 'https://93.184.216.34/hook',
    headers: { 'x-custom': 'yes' },
    retry_count: 3,
    timeout_ms: 1000,
    secret_encrypted: secrets.encrypt(secret),
    previous_secret_encrypted: null,
    previous_valid: false,
    ...overrides,
  };
}

/** The request the fake fetch received: its headers as a plain object, and its body. */
function sent(fetch: ReturnType<typeof answering>) {
  const [url, init] = fetch.mock.calls[0];
  return { url, init: init!, headers: init!.headers as Record<string, string>, body: init!.body as string };
}

describe('WebhookSender', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('sends a 2xx as a success, with the event as the body', async () => {
    const fetch = answering(200);
    const result = await sender(fetch).send('tenant-1', delivery());
    expect(result).toMatchObject({
      verdict: { kind: 'success' },
      httpStatus: 200,
      error: null,
      responseBody: 'body',
    });
    expect(result.startedAt).toBeInstanceOf(Date);
    const request = sent(fetch);
    expect(request.url).toBe('https://93.184.216.34/hook');
    expect(request.init).toMatchObject({ method: 'POST', redirect: 'manual' });
    expect(JSON.parse(request.body)).toEqual({
      id: '00000000-0000-4000-8000-0000000000e1',
      type: 'item.created',
      tenantId: 'tenant-1',
      createdAt: '2026-01-02T03:04:05.678Z',
      data: { sku: 'S-1' },
    });
    expect(request.headers).toMatchObject({
      'x-custom': 'yes',
      'content-type': 'application/json',
      'user-agent': 'inventory-enterprise-webhooks/1',
      'x-webhook-event': 'item.created',
    });
    expect((await sender(answering(204)).send('tenant-1', delivery())).verdict).toEqual({ kind: 'success' });
  });

  it('signs so that standardwebhooks verifies, plus a hex HMAC of the body with the whole secret', async () => {
    const fetch = answering(200);
    await sender(fetch).send('tenant-1', delivery());
    const { headers, body } = sent(fetch);
    expect(headers['webhook-id']).toBe('00000000-0000-4000-8000-0000000000e1');
    expect(headers['webhook-signature'].split(' ')).toHaveLength(1);
    expect(new Webhook(secret.replace(/^whsec_/, '')).verify(body, headers)).toMatchObject({
      type: 'item.created',
    });
    expect(() => new Webhook(secrets.generate().replace(/^whsec_/, '')).verify(body, headers)).toThrow();
    expect(headers['x-webhook-signature']).toBe(createHmac('sha256', secret).update(body).digest('hex'));
  });

  it('signs with the previous secret too while it is valid, and only then', async () => {
    const previous = secrets.generate();
    const rotated = { previous_secret_encrypted: secrets.encrypt(previous), previous_valid: true };
    const fetch = answering(200);
    await sender(fetch).send('tenant-1', delivery(rotated));
    const { headers, body } = sent(fetch);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const key of [secret, previous]) {
      expect(new Webhook(key.replace(/^whsec_/, '')).verify(body, headers)).toMatchObject({
        id: headers['webhook-id'],
      });
    }
    const expired = answering(200);
    await sender(expired).send('tenant-1', delivery({ ...rotated, previous_valid: false }));
    expect(sent(expired).headers['webhook-signature'].split(' ')).toHaveLength(1);
  });

  it('retries a 5xx after the attempt’s delay with +-10 % jitter', async () => {
    const random = jest.spyOn(Math, 'random');
    const retryAfter = async (attempts: number, jitter: number) => {
      random.mockReturnValue(jitter);
      const result = await sender(answering(503)).send('tenant-1', delivery({ attempts }));
      expect(result).toMatchObject({ httpStatus: 503, error: 'HTTP 503', responseBody: 'body' });
      expect(result.verdict.kind).toBe('retry');
      return result.verdict.kind === 'retry' ? result.verdict.afterMs : NaN;
    };
    expect(await retryAfter(1, 0)).toBe(90);
    expect(await retryAfter(1, 0.5)).toBe(100);
    expect(await retryAfter(2, 0.999999)).toBe(220);
    expect(await retryAfter(3, 0.5)).toBe(300);
    random.mockRestore();
    for (let i = 0; i < 20; i += 1) {
      const { verdict } = await sender(answering(500)).send('tenant-1', delivery({ attempts: 2 }));
      expect(verdict).toEqual({ kind: 'retry', afterMs: expect.any(Number) });
      const afterMs = verdict.kind === 'retry' ? verdict.afterMs : NaN;
      expect(afterMs).toBeGreaterThanOrEqual(180);
      expect(afterMs).toBeLessThanOrEqual(220);
    }
  });

  it('uses the last delay once the schedule is exhausted', async () => {
    jest.spyOn(Math, 'random').mockReturnValue(0.5);
    const { verdict } = await sender(answering(500)).send(
      'tenant-1',
      delivery({ attempts: 5, retry_count: 9 }),
    );
    expect(verdict).toEqual({ kind: 'retry', afterMs: 300 });
  });

  it('retries a timeout, named after the endpoint’s timeout', async () => {
    // Answers only when the request is aborted, as a receiver slower than the timeout would.
    const fetch = jest.fn<Fetch>(
      (_url, init) =>
        new Promise((_resolve, reject) =>
          init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason as Error)),
        ),
    );
    const result = await sender(fetch).send('tenant-1', delivery({ timeout_ms: 20 }));
    expect(result).toMatchObject({ httpStatus: null, error: 'timeout after 20 ms', responseBody: null });
    expect(result.verdict).toEqual({ kind: 'retry', afterMs: expect.any(Number) });
    const afterMs = result.verdict.kind === 'retry' ? result.verdict.afterMs : NaN;
    expect(afterMs).toBeGreaterThanOrEqual(90);
    expect(afterMs).toBeLessThanOrEqual(110);
  });

  it('records a network error as the error and retries it', async () => {
    const fetch = jest.fn<Fetch>(() => Promise.reject(new TypeError('fetch failed')));
    const result = await sender(fetch).send('tenant-1', delivery());
    expect(result).toMatchObject({ httpStatus: null, error: 'fetch failed', verdict: { kind: 'retry' } });
  });

  it('is gone on a 410, even with retries left', async () => {
    const result = await sender(answering(410)).send('tenant-1', delivery({ attempts: 1, retry_count: 3 }));
    expect(result).toMatchObject({ httpStatus: 410, error: 'HTTP 410', verdict: { kind: 'gone' } });
  });

  it('sends the last attempt (1 + retryCount) to dlq, and a 3xx is a failure', async () => {
    expect(
      (await sender(answering(500)).send('t', delivery({ attempts: 4, retry_count: 3 }))).verdict,
    ).toEqual({
      kind: 'dlq',
    });
    expect(
      (await sender(answering(500)).send('t', delivery({ attempts: 1, retry_count: 0 }))).verdict,
    ).toEqual({
      kind: 'dlq',
    });
    expect(
      (await sender(answering(302)).send('t', delivery({ attempts: 3, retry_count: 3 }))).verdict,
    ).toEqual({
      kind: 'retry',
      afterMs: expect.any(Number),
    });
  });

  it('does not fetch a URL the guard refuses, and counts the refusal as a failed attempt', async () => {
    const fetch = answering(200);
    const result = await sender(fetch).send(
      'tenant-1',
      delivery({ url: 'http://169.254.169.254/latest/meta-data' }),
    );
    expect(fetch).not.toHaveBeenCalled();
    expect(result).toMatchObject({
      httpStatus: null,
      error: expect.stringMatching(/^refused: 169\.254\.169\.254 resolves to .*private/),
      responseBody: null,
      durationMs: 0,
      verdict: { kind: 'retry' },
    });
    const last = await sender(fetch).send(
      'tenant-1',
      delivery({ url: 'ftp://93.184.216.34/x', attempts: 4 }),
    );
    expect(fetch).not.toHaveBeenCalled();
    expect(last).toMatchObject({ error: 'refused: only http and https', verdict: { kind: 'dlq' } });
  });

  it('caps the stored response body at 4096 characters', async () => {
    const fetch = jest.fn<Fetch>(() => Promise.resolve(new Response('x'.repeat(5000), { status: 500 })));
    expect((await sender(fetch).send('tenant-1', delivery())).responseBody).toHaveLength(4096);
  });
});
