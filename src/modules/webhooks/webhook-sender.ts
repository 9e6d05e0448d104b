import { Inject, Injectable, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHmac } from 'node:crypto';
import type { Environment } from '../../platform/config/environment.js';
import type { ClaimedDelivery } from './webhook-queue.repository.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

const RESPONSE_CAP = 4096;

/** The `fetch` the sender uses (tests provide a fake); without a provider, the global one. */
export const WEBHOOK_FETCH = Symbol('WEBHOOK_FETCH');
export type Fetch = typeof fetch;

/** What one attempt did, as webhook_attempts records it. */
export interface AttemptOutcome {
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  responseBody: string | null;
}

/** What becomes of the delivery after this attempt. */
export type Verdict =
  | { kind: 'success' }
  | { kind: 'retry'; afterMs: number }
  /** 410: dead-lettered at once, and the endpoint is disabled. */
  | { kind: 'gone' }
  | { kind: 'dlq' };

export interface SendResult extends AttemptOutcome {
  verdict: Verdict;
}

/** Standard Webhooks: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the base64 part of the secret. */
export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * Sends one attempt of a delivery: the URL checked again by the SSRF guard (DNS can change), the body signed
 * (Standard Webhooks, with the previous secret as a second signature during a rotation, plus a hex HMAC), the
 * endpoint's timeout, no redirects. Only 2xx succeeds; a failure retries after WEBHOOK_RETRY_DELAYS (+-10 %
 * jitter) while attempts are left (the endpoint's retryCount), else goes to dlq; a 410 is gone.
 */
@Injectable()
export class WebhookSender {
  private readonly delays: number[];

  constructor(
    private readonly secrets: WebhookSecrets,
    private readonly urls: WebhookUrlGuard,
    config: ConfigService<Environment, true>,
    // The global is looked up at call time, as a direct call to fetch would.
    @Optional()
    @Inject(WEBHOOK_FETCH)
    private readonly fetch: Fetch = (input, init) => globalThis.fetch(input, init),
  ) {
    this.delays = config.get('WEBHOOK_RETRY_DELAYS', { infer: true }).split(',').map(Number);
  }

  async send(tenantId: string, delivery: ClaimedDelivery): Promise<SendResult> {
    const body = JSON.stringify({
      id: delivery.event_id,
      type: delivery.event_type,
      tenantId,
      createdAt: delivery.event_created_at.toISOString(),
      data: delivery.payload,
    });
    const outcome = await this.attempt(delivery, body);
    return { ...outcome, verdict: this.verdict(delivery, outcome) };
  }

  private async attempt(delivery: ClaimedDelivery, body: string): Promise<AttemptOutcome> {
    const startedAt = new Date();
    const started = performance.now();
    const verdict = await this.urls.check(delivery.url);
    if (!verdict.ok) {
      return {
        httpStatus: null,
        error: `refused: ${verdict.reason}`,
        responseBody: null,
        durationMs: 0,
        startedAt,
      };
    }
    const secret = this.secrets.decrypt(delivery.secret_encrypted);
    const timestamp = Math.floor(Date.now() / 1000);
    const signatures = [standardSignature(secret, delivery.event_id, timestamp, body)];
    if (delivery.previous_secret_encrypted && delivery.previous_valid) {
      signatures.push(
        standardSignature(
          this.secrets.decrypt(delivery.previous_secret_encrypted),
          delivery.event_id,
          timestamp,
          body,
        ),
      );
    }
    try {
      const response = await this.fetch(delivery.url, {
        method: 'POST',
        redirect: 'manual',
        signal: AbortSignal.timeout(delivery.timeout_ms),
        headers: {
          ...delivery.headers,
          'content-type': 'application/json',
          'user-agent': 'inventory-enterprise-webhooks/1',
          'webhook-id': delivery.event_id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatures.join(' '),
          'x-webhook-event': delivery.event_type,
          'x-webhook-signature': createHmac('sha256', secret).update(body).digest('hex'),
        },
        body,
      });
      const text = (await response.text()).slice(0, RESPONSE_CAP);
      const ok = response.status >= 200 && response.status < 300;
      return {
        httpStatus: response.status,
        error: ok ? null : `HTTP ${response.status}`,
        responseBody: text,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      };
    } catch (error) {
      const message =
        (error as Error).name === 'TimeoutError'
          ? `timeout after ${delivery.timeout_ms} ms`
          : (error as Error).message;
      return {
        httpStatus: null,
        error: message,
        responseBody: null,
        durationMs: Math.round(performance.now() - started),
        startedAt,
      };
    }
  }

  private verdict(delivery: ClaimedDelivery, outcome: AttemptOutcome): Verdict {
    if (outcome.error === null) return { kind: 'success' };
    if (outcome.httpStatus === 410) return { kind: 'gone' };
    // `attempts` counts this one: attempt n of 1 + retryCount.
    if (delivery.attempts > delivery.retry_count) return { kind: 'dlq' };
    const delay = this.delays[Math.min(delivery.attempts - 1, this.delays.length - 1)] ?? 0;
    return { kind: 'retry', afterMs: Math.round(delay * (0.9 + Math.random() * 0.2)) };
  }
}
