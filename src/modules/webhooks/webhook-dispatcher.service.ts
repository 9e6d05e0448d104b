import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import type pg from 'pg';
import type { Environment } from '../../platform/config/environment.js';
import { WEBHOOK_DELIVERIES, WEBHOOK_DELIVERY_DURATION } from '../../platform/observability/metric-names.js';
import {
  type ClaimedDelivery,
  type ClaimLimits,
  type RecordedAttempt,
  WebhookQueueRepository,
} from './webhook-queue.repository.js';
import { type SendResult, WebhookSender } from './webhook-sender.js';

const LISTEN_RETRY_MS = 1000;

/**
 * Sends pending deliveries. Work is found per tenant (NOTIFY webhook_deliveries carries the tenant id; a retry
 * schedules its own wake-up; a sweep of every tenant each WEBHOOK_POLL_INTERVAL_MS catches missed notifications
 * and leases left by a crash) and claimed under row-level security
 * with FOR UPDATE SKIP LOCKED plus a lease, so several replicas share the queue and never send the same attempt
 * twice. Every attempt is recorded; only 2xx succeeds; failures retry after WEBHOOK_RETRY_DELAYS (with jitter) up
 * to the endpoint's retryCount, then go to dlq; 410 disables the endpoint, as do WEBHOOK_DISABLE_AFTER_FAILURES
 * consecutive failures. The statements are WebhookQueueRepository's, one attempt's send is WebhookSender's; this is
 * the loop.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookDispatcher');
  private readonly enabled: boolean;
  /**
   * A batch's size in total and per endpoint, and its lease: a claimed delivery is leased for WEBHOOK_LEASE_MS (at
   * least its endpoint's timeout + 5 s, so a live dispatcher's attempt never overlaps another's); after a crash
   * mid-send it is due again when the lease ends (at-least-once, same webhook-id).
   */
  private readonly limits: ClaimLimits;
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
    private readonly queue: WebhookQueueRepository,
    private readonly sender: WebhookSender,
    @InjectMetric(WEBHOOK_DELIVERIES) private readonly deliveries: Counter<'event' | 'status'>,
    @InjectMetric(WEBHOOK_DELIVERY_DURATION) private readonly duration: Histogram<'outcome'>,
    config: ConfigService<Environment, true>,
  ) {
    this.enabled = config.get('WEBHOOK_DISPATCHER_ENABLED', { infer: true });
    const total = config.get('WEBHOOK_CONCURRENCY', { infer: true });
    this.limits = {
      total,
      perEndpoint: Math.min(total, config.get('WEBHOOK_ENDPOINT_CONCURRENCY', { infer: true })),
      leaseMs: config.get('WEBHOOK_LEASE_MS', { infer: true }),
    };
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
    const listener = this.queue.listener();
    listener.on('notification', (message) => {
      if (message.payload) this.pendingTenants.add(message.payload);
      this.wake?.();
    });
    listener.on('error', (error) => this.listenerLost(listener, error.message));
    listener.on('end', () => this.listenerLost(listener, 'connection ended'));
    try {
      await this.queue.listen(listener);
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
          for (const id of await this.queue.activeTenantIds()) this.pendingTenants.add(id);
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
      const batch = await this.queue.claim(tenantId, this.limits);
      if (batch.length === 0) return sent;
      sent = true;
      const results = await Promise.all(batch.map((delivery) => this.sender.send(tenantId, delivery)));
      await this.record(tenantId, batch, results);
      if (this.stopped) return sent;
    }
  }

  /**
   * Records a batch's outcomes in one transaction (the queue's `record`), counts them in the metrics and schedules
   * a wake-up for each retry.
   */
  private async record(tenantId: string, batch: ClaimedDelivery[], results: SendResult[]): Promise<void> {
    const attempts = batch.map((delivery, index): RecordedAttempt => {
      const { verdict, ...outcome } = results[index];
      const status = verdict.kind === 'success' ? 'success' : verdict.kind === 'retry' ? 'pending' : 'dlq';
      this.deliveries.inc({ event: delivery.event_type, status: status === 'pending' ? 'failed' : status });
      this.duration.observe(
        { outcome: status === 'success' ? 'success' : 'failure' },
        outcome.durationMs / 1000,
      );
      return {
        ...outcome,
        deliveryId: delivery.id,
        endpointId: delivery.endpoint_id,
        attempt: delivery.attempts,
        status,
        gone: verdict.kind === 'gone',
        retryMs: verdict.kind === 'retry' ? verdict.afterMs : 0,
      };
    });
    await this.queue.record(tenantId, attempts, this.disableAfter);
    // Come back to this tenant when a retry is due, instead of sweeping every tenant until then.
    for (const attempt of attempts) {
      if (attempt.status !== 'pending') continue;
      setTimeout(() => {
        this.pendingTenants.add(tenantId);
        this.wake?.();
      }, attempt.retryMs).unref();
    }
  }
}
