import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { enterTenant } from '../../platform/database/session-settings.js';

/** A delivery claimed (and leased) for one attempt, with its event and endpoint. */
export interface ClaimedDelivery {
  id: string;
  /** This attempt's number: the claim counts it. */
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
  /** The previous secret still signs (a rotation less than its overlap ago). */
  previous_valid: boolean;
}

export interface ClaimLimits {
  /** Deliveries in one batch (WEBHOOK_CONCURRENCY). */
  total: number;
  /** Deliveries of one endpoint in one batch (WEBHOOK_ENDPOINT_CONCURRENCY). */
  perEndpoint: number;
  /** The lease's minimum (WEBHOOK_LEASE_MS); it is at least the endpoint's timeout + 5 s. */
  leaseMs: number;
}

/** One attempt's outcome and the delivery's new state, as the batch recording stores it. */
export interface RecordedAttempt {
  deliveryId: string;
  endpointId: string;
  attempt: number;
  startedAt: Date;
  durationMs: number;
  httpStatus: number | null;
  error: string | null;
  responseBody: string | null;
  /** 'pending' is a retry after retryMs. */
  status: 'success' | 'pending' | 'dlq';
  /** Answered 410: the endpoint is disabled. */
  gone: boolean;
  retryMs: number;
}

/** Deliveries of one tenant's queue are announced on this channel (payload: the tenant id). */
const CHANNEL = 'webhook_deliveries';

/**
 * The statements of the delivery queue (webhook_deliveries with their attempts and endpoints' bookkeeping), each in
 * a transaction of its own entered into the tenant, on the app pool (row-level security applies).
 */
@Injectable()
export class WebhookQueueRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
  ) {}

  /** A connection of its own for LISTEN (a transaction pooler cannot serve it), not connected yet. */
  listener(): pg.Client {
    return new pg.Client({
      connectionString: this.endpoints.appUrl,
      application_name: 'inventory-enterprise:webhooks',
    });
  }

  async listen(listener: pg.Client): Promise<void> {
    await listener.connect();
    await listener.query(`LISTEN ${CHANNEL}`);
  }

  async activeTenantIds(): Promise<string[]> {
    const rows = await this.dataSource.query<{ id: string }[]>(
      `select id from tenants where status = 'active'`,
    );
    return rows.map((row) => row.id);
  }

  /** Claims due deliveries of one tenant (oldest first, within the limits) and leases them for one attempt. */
  claim(tenantId: string, limits: ClaimLimits): Promise<ClaimedDelivery[]> {
    return this.dataSource.transaction(async (manager) => {
      await enterTenant(manager, tenantId);
      // Candidates are read without locks (a window function cannot be combined with FOR UPDATE); the locking
      // select re-checks each row (READ COMMITTED re-evaluates the WHERE on the latest version) and skips rows
      // another dispatcher holds.
      return manager.query<ClaimedDelivery[]>(
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
        [limits.total, limits.perEndpoint, limits.leaseMs],
      );
    });
  }

  /**
   * Records a batch in one statement: its attempts, each delivery's new state, and per endpoint the last
   * success/failure and the count of consecutive failures, disabling the endpoint on a 410 or at `disableAfter`.
   */
  async record(tenantId: string, attempts: RecordedAttempt[], disableAfter: number): Promise<void> {
    const rows = attempts.map((attempt) => ({
      delivery_id: attempt.deliveryId,
      endpoint_id: attempt.endpointId,
      attempt: attempt.attempt,
      started_at: attempt.startedAt.toISOString(),
      finished_at: new Date(attempt.startedAt.getTime() + attempt.durationMs).toISOString(),
      duration_ms: attempt.durationMs,
      http_status: attempt.httpStatus,
      error: attempt.error,
      response_body: attempt.responseBody,
      success: attempt.status === 'success',
      gone: attempt.gone,
      status: attempt.status,
      retry_ms: attempt.retryMs,
    }));
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
        [tenantId, JSON.stringify(rows), disableAfter],
      );
    });
  }
}
