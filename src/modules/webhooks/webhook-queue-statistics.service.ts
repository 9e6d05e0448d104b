import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { WEBHOOK_DLQ_SIZE, WEBHOOK_QUEUE_DEPTH } from '../../platform/observability/metric-names.js';
import { PeriodicGauges } from '../../platform/observability/periodic-gauges.js';
import { WebhookMaintenanceRepository } from './webhook-maintenance.repository.js';

const REFRESH_MS = 15_000;

interface QueueFigures {
  due: number;
  dlq: number;
}

/**
 * Keeps webhook_queue_depth (pending deliveries that are due) and webhook_dlq_size (dead-lettered, not yet
 * retried or purged) current in every process, refreshed every 15 s from one statement over every tenant (see
 * migration AddWebhookQueueStatistics): a scrape of any replica shows the shared queue.
 */
@Injectable()
export class WebhookQueueStatistics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly gauges: PeriodicGauges<QueueFigures>;

  constructor(
    deliveries: WebhookMaintenanceRepository,
    @InjectMetric(WEBHOOK_QUEUE_DEPTH) depth: Gauge,
    @InjectMetric(WEBHOOK_DLQ_SIZE) dlq: Gauge,
  ) {
    this.gauges = new PeriodicGauges(
      'WebhookQueueStatistics',
      REFRESH_MS,
      () => deliveries.queueFigures(),
      (figures) => {
        depth.set(figures.due);
        dlq.set(figures.dlq);
      },
    );
  }

  onApplicationBootstrap(): void {
    this.gauges.start();
  }

  onApplicationShutdown(): void {
    this.gauges.stop();
  }

  /** Returns the figures it set (for tests); a failure keeps the previous values and is logged. */
  refresh(): Promise<QueueFigures | undefined> {
    return this.gauges.refresh();
  }
}
