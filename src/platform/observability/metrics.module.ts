import { Global, type MiddlewareConsumer, Module, type NestModule, type OnModuleInit } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
  PrometheusModule,
} from '@willsoto/nestjs-prometheus';
import { register } from 'prom-client';
import { ALL_ROUTES, HttpMetricsMiddleware } from './http-metrics.middleware.js';
import { MetricsController } from './metrics.controller.js';
import {
  BACKUP_LAST_SUCCESS,
  BACKUP_LAST_VERIFIED,
  DB_QUERY_DURATION,
  HTTP_REQUEST_DURATION,
  INVENTORY_MOVEMENTS,
  JOB_DURATION,
  JOB_LAST_RUN,
  JOB_RUNS,
  RBAC_DENIED,
  RECONCILIATION_DRIFT_KEYS,
  RESERVATIONS,
  RESERVATIONS_OPEN,
  LOW_STOCK_KEYS,
  RESERVATION_EXPIRY_LAG,
  TENANT_REQUESTS,
  WEBHOOK_DELIVERIES,
  WEBHOOK_DELIVERY_DURATION,
  WEBHOOK_DLQ_SIZE,
  WEBHOOK_QUEUE_DEPTH,
} from './metric-names.js';

const metricProviders = [
  makeHistogramProvider({
    name: HTTP_REQUEST_DURATION,
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  }),
  makeHistogramProvider({
    name: DB_QUERY_DURATION,
    help: 'Database query duration in seconds, by connection pool, statement kind and outcome',
    labelNames: ['pool', 'operation', 'outcome'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  }),
  makeCounterProvider({
    name: TENANT_REQUESTS,
    help: 'Authenticated API requests per tenant (TENANT_REQUEST_METRICS_ENABLED=false turns it off)',
    labelNames: ['tenant_id'],
  }),
  makeCounterProvider({
    name: INVENTORY_MOVEMENTS,
    help: 'Movements posted (idempotent replays not counted), by type',
    labelNames: ['type'],
  }),
  makeCounterProvider({
    name: RESERVATIONS,
    help: 'Reservation events by this process: created, consumed (a movement used it), released, expired',
    labelNames: ['event'],
  }),
  makeGaugeProvider({
    name: RESERVATIONS_OPEN,
    help: 'Active, unexpired reservations over every tenant (refreshed every 15 s)',
  }),
  makeGaugeProvider({
    name: RESERVATION_EXPIRY_LAG,
    help: 'Seconds since the expiresAt of the oldest reservation the expiry job has not marked yet (0: none)',
  }),
  makeGaugeProvider({
    name: LOW_STOCK_KEYS,
    help: 'Item/location keys at or below their reorder point over every tenant (refreshed every 15 s)',
  }),
  makeGaugeProvider({
    name: RECONCILIATION_DRIFT_KEYS,
    help: 'Balance keys whose drift from the ledger was at or above the alert threshold in the last reconciliation',
  }),
  makeCounterProvider({
    name: JOB_RUNS,
    help: 'System job runs by job and outcome (succeeded, failed, skipped: another replica held the lock)',
    labelNames: ['job', 'outcome'],
  }),
  makeGaugeProvider({
    name: JOB_LAST_RUN,
    help: 'Unix time of the last finished run of a system job, by outcome',
    labelNames: ['job', 'outcome'],
  }),
  makeGaugeProvider({
    name: JOB_DURATION,
    help: 'Duration in seconds of the last run of a system job',
    labelNames: ['job'],
  }),
  makeCounterProvider({
    name: WEBHOOK_DELIVERIES,
    help: 'Webhook delivery attempts by event type and resulting status (success, failed: will retry, dlq)',
    labelNames: ['event', 'status'],
  }),
  makeHistogramProvider({
    name: WEBHOOK_DELIVERY_DURATION,
    help: 'Duration of webhook delivery attempts in seconds, by outcome',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  }),
  makeCounterProvider({
    name: RBAC_DENIED,
    help: 'Requests refused for a missing permission, by permission, resource and action',
    labelNames: ['permission', 'resource', 'action'],
  }),
  makeGaugeProvider({
    name: WEBHOOK_QUEUE_DEPTH,
    help: 'Webhook deliveries that are due and not yet sent, over every tenant (refreshed every 15 s)',
  }),
  makeGaugeProvider({
    name: WEBHOOK_DLQ_SIZE,
    help: 'Webhook deliveries in the dead-letter queue, over every tenant (refreshed every 15 s)',
  }),
  makeGaugeProvider({
    name: BACKUP_LAST_SUCCESS,
    help: 'Unix time at which the newest successful backup finished (0: none in the catalogue)',
  }),
  makeGaugeProvider({
    name: BACKUP_LAST_VERIFIED,
    help: 'Unix time at which the newest backup that passed verification by restore was verified (0: none)',
  }),
];

/** Owns the Prometheus registry wiring and every metric; feature modules inject metrics with @InjectMetric. */
@Global()
@Module({
  imports: [
    PrometheusModule.register({
      path: '/metrics',
      controller: MetricsController,
      defaultMetrics: { enabled: true },
    }),
  ],
  providers: [...metricProviders, HttpMetricsMiddleware],
  exports: [...metricProviders],
})
export class MetricsModule implements NestModule, OnModuleInit {
  /**
   * prom-client's default metrics include three gauges named *_total, which the Prometheus naming rules
   * reserve for counters (promtool check metrics rejects them). Their per-type siblings
   * (nodejs_active_handles etc.) carry the same information, so the misnamed ones are dropped.
   */
  onModuleInit(): void {
    for (const name of [
      'nodejs_active_handles_total',
      'nodejs_active_requests_total',
      'nodejs_active_resources_total',
    ]) {
      register.removeSingleMetric(name);
    }
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(HttpMetricsMiddleware).forRoutes(ALL_ROUTES);
  }
}
