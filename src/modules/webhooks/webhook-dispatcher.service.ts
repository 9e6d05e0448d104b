import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { createHmac } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import type { Environment } from '../../platform/config/environment.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import { WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_DURATION } from '../../platform/observability/metric-names.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { enterTenant } from '../../platform/database/session-settings.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

const RESPONSE_CAP = 4096;
const LISTEN_RETRY_MS = 1000;

interface Claimed {
  id: string;
  attempts: number;
  event_id: string;
  event_type: string;
  payload: unknown;
  event_created_at: Date;
  endpoint_id: string;
  url: string;
  headers: Record<string, string>;
  retry_count: number;
  timeout_ms: number;
  secret_encrypted: string;
  previous_secret_encrypted: string | null;
  previous_valid: boolean;
}

interface Outcome {
  httpStatus: number | null;
  error: string | null;
  responseBody: string | null;
  durationMs: number;
  startedAt: Date;
}

/** Standard Webhooks: base64 HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the base64 part of the secret. */
export function standardSignature(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

/**
 * Sends pending deliveries. Work is found per tenant (NOTIFY webhook_deliveries carries the tenant id; a retry
 * schedules its own wake-up; a sweep of every tenant each WEBHOOK_POLL_INTERVAL_MS catches missed notifications
 * and leases left by a crash) and claimed under row-level security
 * with FOR UPDATE SKIP LOCKED plus a lease, so several replicas share the queue and never send the same attempt
 * twice. Every attempt is recorded; only 2xx succeeds; failures retry after WEBHOOK_RETRY_DELAYS (with jitter) up
 * to the endpoint's retryCount, then go to dlq; 410 disables the endpoint, as do WEBHOOK_DISABLE_AFTER_FAILURES
 * consecutive failures.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly enabled: boolean;
  private readonly delays: number[];
  private readonly concurrency: number;
  private readonly endpointConcurrency: number;
  /**
   * A claimed delivery is leased for this long (at least its endpoint's timeout + 5 s, so a live dispatcher's
   * attempt never overlaps another's); after a crash mid-send it is due again when the lease ends
   * (at-least-once, same webhook-id).
   */
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly disableAfter: number;
  private readonly pendingTenants = new Set<string>();
  private listener?: pg.Client;
  private relisten?: NodeJS.Timeout;
  /** Set when the listener reconnected: the loop sweeps every tenant once. */
  private sweepNow = false;
  private stopped = false;
  private wake?: () => void;
  private loop?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly secrets: WebhookSecrets,
    private readonly urls: WebhookUrlGuard,
    @InjectMetric(WEBHOOK_DELIVERIES) private readonly deliveries: Counter<'event' | 'status'>,
    @InjectMetric(WEBHOOK_DELIVERY_DURATION) private readonly duration: Histogram<'outcome'>,
    config: ConfigService<Environment, true>,
  ) {
    this.enabled = config.get('WEBHOOK_DISPATCHER_ENABLED', { infer: true });
    this.delays = config.get('WEBHOOK_RETRY_DELAYS', { infer: true }).split(',').map(Number);
    this.concurrency = config.get('WEBHOOK_CONCURRENCY', { infer: true });
    this.leaseMs = config.get('WEBHOOK_LEASE_MS', { infer: true });
    this.endpointConcurrency = Math.min(
      this.concurrency,
      config.get('WEBHOOK_ENDPOINT_CONCURRENCY', { infer: true }),
    );
    this.pollMs = config.get('WEBHOOK_POLL_INTERVAL_MS', { infer: true });
    this.disableAfter = config.get('WEBHOOK_DISABLE_AFTER_FAILURES', { infer: true });
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.enabled) return;
    await this.listen();
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.relisten);
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  /**
   * LISTENs on a connection of its own. When it cannot, or loses it (the database restarted), it tries again
   * every LISTEN_RETRY_MS, and after a reconnect sweeps every tenant at once: notifications sent meanwhile are
   * gone, and without this the queue would wait for the next sweep (WEBHOOK_POLL_INTERVAL_MS).
   */
  private async listen(): Promise<void> {
    const listener = new pg.Client({
      connectionString: this.endpoints.appUrl,
      application_name: 'inventory-enterprise:webhooks',
    });
    listener.on('notification', (message) => {
      if (message.payload) this.pendingTenants.add(message.payload);
      this.wake?.();
    });
    listener.on('error', (error) => this.listenerLost(listener, error.message));
    listener.on('end', () => this.listenerLost(listener, 'connection ended'));
    try {
      await listener.connect();
      await listener.query('LISTEN webhook_deliveries');
      this.listener = listener;
      if (this.loop) {
        this.sweepNow = true;
        this.wake?.();
      }
    } catch (error) {
      this.logger.warn(`cannot LISTEN (${(error as Error).message}); polling continues, retrying`);
      await listener.end().catch(() => undefined);
      this.scheduleListen();
    }
  }

  private listenerLost(listener: pg.Client, reason: string): void {
    if (listener !== this.listener) return;
    this.listener = undefined;
    if (this.stopped) return;
    this.logger.warn(`listener: ${reason}; polling continues, listening again`);
    this.scheduleListen();
  }

  private scheduleListen(): void {
    if (this.stopped) return;
    this.relisten = setTimeout(() => void this.listen(), LISTEN_RETRY_MS);
    this.relisten.unref();
  }

  private async run(): Promise<void> {
    let lastPoll = 0;
    while (!this.stopped) {
      try {
        if (this.sweepNow || Date.now() - lastPoll >= this.pollMs) {
          this.sweepNow = false;
          lastPoll = Date.now();
          const tenants = await this.dataSource.query<{ id: string }[]>(
            `select id from tenants where status = 'active'`,
          );
          for (const { id } of tenants) this.pendingTenants.add(id);
        }
        let worked = false;
        for (const tenantId of [...this.pendingTenants]) {
          this.pendingTenants.delete(tenantId);
          if (await this.drain(tenantId)) worked = true;
          if (this.stopped) return;
        }
        if (!worked) await this.sleep(this.pollMs);
      } catch (error) {
        this.logger.error(`dispatch loop: ${(error as Error).message}`);
        await this.sleep(this.pollMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /**
   * Claims and sends due deliveries of one tenant, batch by batch; true when it sent anything. A batch is sent
   * all at once and recorded in one transaction; the next is claimed when it is done, so the claim's limits are
   * the concurrency limits (WEBHOOK_CONCURRENCY in total, WEBHOOK_ENDPOINT_CONCURRENCY per endpoint) and a batch
   * lasts at most the longest endpoint timeout, well inside the lease.
   */
  private async drain(tenantId: string): Promise<boolean> {
    let sent = false;
    for (;;) {
      const batch = await this.claim(tenantId);
      if (batch.length === 0) return sent;
      sent = true;
      const outcomes = await Promise.all(batch.map((delivery) => this.deliver(tenantId, delivery)));
      await this.record(tenantId, batch, outcomes);
      if (this.stopped) return sent;
    }
  }

  private claim(tenantId: string): Promise<Claimed[]> {
    return this.dataSource.transaction(async (manager) => {
      await enterTenant(manager, tenantId);
      // Candidates are read without locks (a window function cannot be combined with FOR UPDATE); the locking
      // select re-checks each row (READ COMMITTED re-evaluates the WHERE on the latest version) and skips rows
      // another dispatcher holds.
      return manager.query<Claimed[]>(
        `with oldest as (
           select id, endpoint_id, next_attempt_at from webhook_deliveries
            where tenant_id = current_setting('app.tenant_id')::uuid
              and status = 'pending' and next_attempt_at <= now()
            order by next_attempt_at limit $1 * 4
         ), candidates as (
           select id,
                  row_number() over (partition by endpoint_id order by next_attempt_at, id) as nth
             from oldest
         ), due as (
           -- By primary key (an array, not a join: a queue table's statistics are always stale, and a join let
           -- the planner scan every due row once per candidate).
           select d.tenant_id, d.id, d.endpoint_id from webhook_deliveries d
            where d.tenant_id = current_setting('app.tenant_id')::uuid
              and d.id = any (array(select id from candidates where nth <= $2))
              and d.status = 'pending' and d.next_attempt_at <= now()
            order by d.next_attempt_at limit $1
              for update of d skip locked
         ), leased as (
           update webhook_deliveries d set attempts = d.attempts + 1,
                  next_attempt_at = now() + greatest($3::integer, w.timeout_ms + 5000) * interval '1 millisecond'
             from due join webhook_endpoints w on w.tenant_id = due.tenant_id and w.id = due.endpoint_id
            where d.tenant_id = due.tenant_id and d.id = due.id
           returning d.*
         )
         select l.id, l.attempts, l.event_id, l.event_type, e.payload, e.created_at as event_created_at,
                w.id as endpoint_id, w.url, w.headers, w.retry_count, w.timeout_ms, w.secret_encrypted,
                w.previous_secret_encrypted, coalesce(w.previous_secret_expires_at > now(), false) as previous_valid
           from leased l
           join outbox_events e on e.tenant_id = l.tenant_id and e.id = l.event_id
           join webhook_endpoints w on w.tenant_id = l.tenant_id and w.id = l.endpoint_id`,
        [this.concurrency, this.endpointConcurrency, this.leaseMs],
      );
    });
  }

  private deliver(tenantId: string, delivery: Claimed): Promise<Outcome> {
    const body = JSON.stringify({
      id: delivery.event_id,
      type: delivery.event_type,
      tenantId,
      createdAt: delivery.event_created_at.toISOString(),
      data: delivery.payload,
    });
    return this.send(delivery, body);
  }

  private async send(delivery: Claimed, body: string): Promise<Outcome> {
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
      const response = await fetch(delivery.url, {
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

  /**
   * Records a batch in one transaction: its attempts, each delivery's new state (success, a retry after
   * WEBHOOK_RETRY_DELAYS with +-10 % jitter, or dlq), and per endpoint the last success/failure and the count
   * of consecutive failures (which disables the endpoint at WEBHOOK_DISABLE_AFTER_FAILURES, as does a 410).
   */
  private async record(tenantId: string, batch: Claimed[], outcomes: Outcome[]): Promise<void> {
    const rows = batch.map((delivery, index) => {
      const outcome = outcomes[index];
      const success = outcome.error === null;
      const gone = outcome.httpStatus === 410;
      const retriesLeft = delivery.attempts <= delivery.retry_count && !gone;
      const delay = this.delays[Math.min(delivery.attempts - 1, this.delays.length - 1)] ?? 0;
      const status = success ? 'success' : retriesLeft ? 'pending' : 'dlq';
      this.deliveries.inc({ event: delivery.event_type, status: status === 'pending' ? 'failed' : status });
      this.duration.observe({ outcome: success ? 'success' : 'failure' }, outcome.durationMs / 1000);
      return {
        delivery_id: delivery.id,
        endpoint_id: delivery.endpoint_id,
        attempt: delivery.attempts,
        started_at: outcome.startedAt.toISOString(),
        finished_at: new Date(outcome.startedAt.getTime() + outcome.durationMs).toISOString(),
        duration_ms: outcome.durationMs,
        http_status: outcome.httpStatus,
        error: outcome.error,
        response_body: outcome.responseBody,
        success,
        gone,
        status,
        retry_ms: Math.round(delay * (0.9 + Math.random() * 0.2)),
      };
    });
    await this.dataSource.transaction(async (manager) => {
      // The endpoint update below changes more than bookkeeping columns only when it disables the endpoint;
      // then the audit trigger records it under this action, as the dispatcher.
      await enterTenant(
        manager,
        tenantId,
        { actorId: null, actorKind: 'system', actorName: 'webhook-dispatcher' },
        'webhook.endpoint.disabled',
      );
      await manager.query(
        `with outcome as (
           select * from jsonb_to_recordset($2::jsonb) as o (
             delivery_id uuid, endpoint_id uuid, attempt integer, started_at timestamptz, finished_at timestamptz,
             duration_ms integer, http_status integer, error text, response_body text, success boolean,
             gone boolean, status text, retry_ms integer)
         ), attempts as (
           insert into webhook_attempts (tenant_id, delivery_id, attempt, started_at, duration_ms, http_status, error,
                                         response_body)
           select $1, delivery_id, attempt, started_at, duration_ms, http_status, error, response_body from outcome
         ), deliveries as (
           update webhook_deliveries d set status = o.status, http_status = o.http_status, error = o.error,
                  next_attempt_at = case when o.status = 'pending' then now() + o.retry_ms * interval '1 millisecond'
                                         else d.next_attempt_at end,
                  completed_at = case when o.status = 'pending' then null else now() end
             from outcome o where d.tenant_id = $1 and d.id = o.delivery_id
         ), per_endpoint as (
           select endpoint_id, bool_or(success) as any_success, bool_or(gone) as gone,
                  max(finished_at) filter (where success) as last_success,
                  max(finished_at) filter (where not success) as last_failure
             from outcome group by endpoint_id
         ), tally as (
           select p.*, (select count(*) from outcome o
                         where o.endpoint_id = p.endpoint_id and not o.success
                           and o.finished_at > coalesce(p.last_success, '-infinity')) as trailing_failures
             from per_endpoint p
         ), counted as (
           select t.*, case when t.any_success then t.trailing_failures
                            else w.failure_count + t.trailing_failures end as failures
             from tally t join webhook_endpoints w on w.tenant_id = $1 and w.id = t.endpoint_id
         )
         update webhook_endpoints w set
                last_success_at = coalesce(c.last_success, w.last_success_at),
                last_failure_at = coalesce(c.last_failure, w.last_failure_at),
                failure_count = c.failures,
                status = case when c.gone or c.failures >= $3 then 'disabled' else w.status end,
                disabled_reason = case when c.gone then 'HTTP 410 Gone'
                                       when c.failures >= $3 then 'too many consecutive failures'
                                       else w.disabled_reason end
           from counted c where w.tenant_id = $1 and w.id = c.endpoint_id`,
        [tenantId, JSON.stringify(rows), this.disableAfter],
      );
    });
    // Come back to this tenant when a retry is due, instead of sweeping every tenant until then.
    for (const row of rows) {
      if (row.status !== 'pending') continue;
      setTimeout(() => {
        this.pendingTenants.add(tenantId);
        this.wake?.();
      }, row.retry_ms).unref();
    }
  }
}
