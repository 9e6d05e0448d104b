import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import { WebhookMaintenanceRepository } from './webhook-maintenance.repository.js';
import { WEBHOOK_DLQ_SIZE, WEBHOOK_QUEUE_DEPTH } from '../../platform/observability/metric-names.js';

const REFRESH_MS = 15_000;

/**
 * Keeps webhook_queue_depth (pending deliveries that are due) and webhook_dlq_size (dead-lettered, not yet
 * retried or purged) current in every process, refreshed every 15 s from one statement over every tenant (see
 * migration AddWebhookQueueStatistics): a scrape of any replica shows the shared queue.
 */
@Injectable()
export class WebhookQueueStatistics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('WebhookQueueStatistics');
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly deliveries: WebhookMaintenanceRepository,
    @InjectMetric(WEBHOOK_QUEUE_DEPTH) private readonly depth: Gauge,
    @InjectMetric(WEBHOOK_DLQ_SIZE) private readonly dlq: Gauge,
  ) {}

  onApplicationBootstrap(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  /** Returns the figures it set (for tests); a failure keeps the previous values and is logged. */
  async refresh(): Promise<{ due: number; dlq: number } | undefined> {
    try {
      const figures = await this.deliveries.queueFigures();
      this.depth.set(figures.due);
      this.dlq.set(figures.dlq);
      return figures;
    } catch (error) {
      this.logger.warn(`cannot refresh the webhook queue gauges: ${(error as Error).message}`);
      return undefined;
    }
  }
}
