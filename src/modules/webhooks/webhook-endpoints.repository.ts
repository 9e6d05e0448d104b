import { Injectable } from '@nestjs/common';
import { keysetSql, SqlParameters } from '../../platform/http/pagination/keyset-sql.js';
import type { EventType } from '../../platform/outbox/event-types.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';

export interface EndpointRow {
  id: string;
  name: string;
  url: string;
  events: string[];
  headers: Record<string, string>;
  retry_count: number;
  timeout_ms: number;
  status: string;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  failure_count: number;
  created_at: Date;
}

export interface NewEndpoint {
  id: string;
  name: string;
  url: string;
  events: string[];
  headers: Record<string, string>;
  retryCount: number;
  timeoutMs: number;
  secretEncrypted: string;
}

/** A PATCH: null keeps the column. */
export interface EndpointChanges {
  name: string | null;
  url: string | null;
  events: string[] | null;
  headers: Record<string, string> | null;
  retryCount: number | null;
  timeoutMs: number | null;
  status: 'active' | 'disabled' | null;
}

export interface DeliveryRow {
  id: string;
  eventId: string;
  eventType: string;
  status: string;
  attempts: number;
  httpStatus: number | null;
  error: string | null;
  nextRetryAt: Date | null;
  createdAt: Date;
  completedAt: Date | null;
}

export interface DeliveryFilters {
  status?: string;
  eventType?: string;
}

/**
 * created_at has microseconds but a cursor holds a JavaScript date (milliseconds), so lists order and compare at
 * millisecond precision; otherwise the last row of a page would come back as the first of the next.
 */
const CREATED_AT_KEY = [`date_trunc('milliseconds', created_at)`, 'id'];

/** The statements of webhook endpoints and their deliveries, in the open tenant transaction (row-level security). */
@Injectable()
export class WebhookEndpointsRepository {
  constructor(private readonly tx: TenantTransactions) {}

  async insert(endpoint: NewEndpoint): Promise<void> {
    await this.tx.manager.query(
      `insert into webhook_endpoints (tenant_id, id, name, url, events, headers, retry_count, timeout_ms, status, secret_encrypted)
       values (current_setting('app.tenant_id')::uuid, $1, $2, $3, $4, $5::jsonb, $6, $7, 'active', $8)`,
      [
        endpoint.id,
        endpoint.name,
        endpoint.url,
        endpoint.events,
        JSON.stringify(endpoint.headers),
        endpoint.retryCount,
        endpoint.timeoutMs,
        endpoint.secretEncrypted,
      ],
    );
  }

  /** `limit + 1` endpoints after the keyset position `after` (created_at, id), for pageFromRows. */
  page(after: string[] | undefined, limit: number): Promise<EndpointRow[]> {
    const parameters = new SqlParameters();
    const keyset = keysetSql(parameters, CREATED_AT_KEY, after, limit);
    return this.tx.manager.query<EndpointRow[]>(
      `select * from webhook_endpoints where ${keyset.where} order by ${keyset.orderBy} limit ${keyset.limit}`,
      parameters.values,
    );
  }

  /** `lock` holds the row until the transaction ends (FOR UPDATE), for a change that follows. */
  async find(id: string, lock = false): Promise<EndpointRow | undefined> {
    const [row] = await this.tx.manager.query<EndpointRow[]>(
      `select * from webhook_endpoints where id = $1 ${lock ? 'for update' : ''}`,
      [id],
    );
    return row;
  }

  async update(id: string, changes: EndpointChanges): Promise<void> {
    await this.tx.manager.query(
      `update webhook_endpoints set
         name = coalesce($2, name), url = coalesce($3, url), events = coalesce($4, events),
         headers = coalesce($5::jsonb, headers), retry_count = coalesce($6, retry_count),
         timeout_ms = coalesce($7, timeout_ms), status = coalesce($8, status),
         -- re-enabling starts the failure count afresh
         failure_count = case when $8 = 'active' then 0 else failure_count end,
         disabled_reason = case when $8 = 'active' then null else disabled_reason end,
         updated_at = now()
       where id = $1`,
      [
        id,
        changes.name,
        changes.url,
        changes.events,
        changes.headers ? JSON.stringify(changes.headers) : null,
        changes.retryCount,
        changes.timeoutMs,
        changes.status,
      ],
    );
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.query(`delete from webhook_endpoints where id = $1`, [id]);
  }

  /** The current secret becomes the previous one, which keeps signing for `overlap` (an SQL interval). */
  async rotateSecret(id: string, secretEncrypted: string, overlap: string): Promise<void> {
    await this.tx.manager.query(
      `update webhook_endpoints set previous_secret_encrypted = secret_encrypted,
              previous_secret_expires_at = now() + $3::interval, secret_encrypted = $2, updated_at = now()
        where id = $1`,
      [id, secretEncrypted, overlap],
    );
  }

  /** `limit + 1` deliveries of an endpoint after the keyset position `after` (created_at, id), for pageFromRows. */
  deliveries(
    endpointId: string,
    filters: DeliveryFilters,
    after: string[] | undefined,
    limit: number,
  ): Promise<DeliveryRow[]> {
    const parameters = new SqlParameters();
    const conditions = [`endpoint_id = ${parameters.add(endpointId)}`];
    if (filters.status !== undefined) conditions.push(`status = ${parameters.add(filters.status)}`);
    if (filters.eventType !== undefined) conditions.push(`event_type = ${parameters.add(filters.eventType)}`);
    const keyset = keysetSql(parameters, CREATED_AT_KEY, after, limit);
    return this.tx.manager.query<DeliveryRow[]>(
      `select id, event_id as "eventId", event_type as "eventType", status, attempts, http_status as "httpStatus",
              error, case when status = 'pending' then next_attempt_at end as "nextRetryAt",
              created_at as "createdAt", completed_at as "completedAt"
         from webhook_deliveries
        where ${conditions.join(' and ')} and ${keyset.where}
        order by ${keyset.orderBy} limit ${keyset.limit}`,
      parameters.values,
    );
  }

  /** Queues a `webhook.test` event (the outbox fan-out makes its deliveries); returns the event id. */
  async insertTestEvent(payload: Record<string, unknown>): Promise<string> {
    const type: EventType = 'webhook.test';
    const [{ id }] = await this.tx.manager.query<[{ id: string }]>(
      `insert into outbox_events (tenant_id, type, payload)
       values (current_setting('app.tenant_id')::uuid, $1, $2::jsonb) returning id`,
      [type, JSON.stringify(payload)],
    );
    return id;
  }

  /**
   * Makes deliveries of an endpoint due again: the one `deliveryId` when it failed or is dead-lettered, or
   * without one every dead-lettered delivery. Returns how many.
   */
  async requeue(endpointId: string, deliveryId: string | null): Promise<number> {
    // TypeORM answers an UPDATE with [rows, affected count].
    const [, requeued] = await this.tx.manager.query<[unknown[], number]>(
      `update webhook_deliveries set status = 'pending', next_attempt_at = now(), completed_at = null
        where endpoint_id = $1 and (($2::uuid is not null and id = $2 and status in ('failed', 'dlq'))
                                 or ($2::uuid is null and status = 'dlq'))`,
      [endpointId, deliveryId],
    );
    return requeued;
  }

  async deliveryExists(endpointId: string, deliveryId: string): Promise<boolean> {
    const [exists] = await this.tx.manager.query<unknown[]>(
      `select 1 from webhook_deliveries where endpoint_id = $1 and id = $2`,
      [endpointId, deliveryId],
    );
    return exists !== undefined;
  }

  /** Wakes the dispatchers for this tenant (at commit, as NOTIFY is delivered). */
  async notifyDispatchers(): Promise<void> {
    await this.tx.manager.query(`select pg_notify('webhook_deliveries', current_setting('app.tenant_id'))`);
  }
}
