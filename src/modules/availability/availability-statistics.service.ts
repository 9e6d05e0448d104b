import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Gauge } from 'prom-client';
import {
  LOW_STOCK_KEYS,
  RESERVATION_EXPIRY_LAG,
  RESERVATIONS_OPEN,
} from '../../platform/observability/metric-names.js';
import { PeriodicGauges } from '../../platform/observability/periodic-gauges.js';
import { type AvailabilityFigures, AvailabilityRepository } from './availability.repository.js';

const REFRESH_MS = 15_000;

/**
 * Keeps reservations_open (active, unexpired reservations), reservation_expiry_lag_seconds (how long the oldest
 * lapsed reservation has waited for the expiry job) and inventory_low_stock_keys (keys at or below their reorder
 * point) current in every process, refreshed every 15 s from one statement over every tenant: a scrape of any
 * replica shows the whole picture.
 */
@Injectable()
export class AvailabilityStatistics implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly gauges: PeriodicGauges<AvailabilityFigures>;

  constructor(
    availability: AvailabilityRepository,
    @InjectMetric(RESERVATIONS_OPEN) open: Gauge,
    @InjectMetric(RESERVATION_EXPIRY_LAG) expiryLag: Gauge,
    @InjectMetric(LOW_STOCK_KEYS) low: Gauge,
  ) {
    this.gauges = new PeriodicGauges(
      'AvailabilityStatistics',
      REFRESH_MS,
      () => availability.statistics(),
      (figures) => {
        open.set(figures.open);
        expiryLag.set(figures.expiryLagSeconds);
        low.set(figures.low);
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
  refresh(): Promise<AvailabilityFigures | undefined> {
    return this.gauges.refresh();
  }
}
