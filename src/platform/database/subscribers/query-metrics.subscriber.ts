import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Histogram } from 'prom-client';
import { DataSource, type AfterQueryEvent } from 'typeorm';
import { DB_QUERY_DURATION } from '../../observability/metric-names.js';
import { MAINTENANCE_DATA_SOURCE } from '../database.constants.js';

const OPERATION = /^\s*(select|insert|update|delete|with|begin|commit|rollback|start transaction)\b/i;

/** Feeds db_query_duration_seconds from TypeORM's afterQuery event of both pools. */
@Injectable()
export class QueryMetricsSubscriber {
  constructor(
    @InjectDataSource() app: DataSource,
    @InjectDataSource(MAINTENANCE_DATA_SOURCE) maintenance: DataSource,
    @InjectMetric(DB_QUERY_DURATION) private readonly duration: Histogram<'pool' | 'operation' | 'outcome'>,
  ) {
    for (const [pool, dataSource] of [
      ['app', app],
      ['maintenance', maintenance],
    ] as const) {
      dataSource.subscribers.push({
        afterQuery: (event: AfterQueryEvent) => this.record(pool, event),
      });
    }
  }

  private record(pool: string, event: AfterQueryEvent): void {
    if (event.executionTime === undefined && event.success) return;
    const keyword = OPERATION.exec(event.query)?.[1]?.toLowerCase() ?? 'other';
    const operation = ['begin', 'commit', 'rollback', 'start transaction'].includes(keyword)
      ? 'transaction'
      : keyword;
    this.duration.observe(
      { pool, operation, outcome: event.success ? 'ok' : 'error' },
      (event.executionTime ?? 0) / 1000,
    );
  }
}
