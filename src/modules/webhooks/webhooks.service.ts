import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, decodeCursor, encodeCursor } from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AuditService } from '../audit/index.js';
import type {
  CreateWebhookDto,
  DeliveryQueryDto,
  DeliveryView,
  UpdateWebhookDto,
  WebhookView,
  WebhookWithSecretView,
} from './dto/webhook.dto.js';
import { EVENT_TYPES } from './event-catalog.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';

/** Our signature and protocol headers: a custom header may not set them. */
const RESERVED_HEADERS =
  /^(webhook-.*|x-webhook-.*|content-type|content-length|host|user-agent|connection|transfer-encoding)$/i;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** The previous secret keeps signing (as a second signature) this long after a rotation. */
const ROTATION_OVERLAP = "interval '24 hours'";

interface EndpointRow {
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

@Injectable()
export class WebhooksService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly secrets: WebhookSecrets,
    private readonly urls: WebhookUrlGuard,
    private readonly audit: AuditService,
  ) {}

  async create(input: CreateWebhookDto): Promise<WebhookWithSecretView> {
    await this.validate(input);
    const secret = this.secrets.generate();
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.tx.manager.query(
        `insert into webhook_endpoints (tenant_id, id, name, url, events, headers, retry_count, timeout_ms, status, secret_encrypted)
         values (current_setting('app.tenant_id')::uuid, $1, $2, $3, $4, $5::jsonb, $6, $7, 'active', $8)`,
        [
          id,
          input.name.trim(),
          input.url,
          input.events,
          JSON.stringify(input.headers ?? {}),
          input.retryCount ?? 3,
          input.timeoutMs ?? 10_000,
          this.secrets.encrypt(secret),
        ],
      );
      return { ...(await this.get(id)), secret };
    });
  }

  list(query: { limit: number; cursor?: string }): Promise<Page<WebhookView>> {
    const after = decodeCursor(query.cursor);
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<EndpointRow[]>(
        `select * from webhook_endpoints
          where ($1::timestamptz is null or (date_trunc('milliseconds', created_at), id) > ($1::timestamptz, $2::uuid))
          order by date_trunc('milliseconds', created_at), id limit $3`,
        [after?.createdAt ?? null, after?.id ?? null, query.limit + 1],
      );
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const last = shown.at(-1);
      return {
        data: shown.map(present),
        nextCursor:
          more && last ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id }) : null,
      };
    });
  }

  get(id: string): Promise<WebhookView> {
    return this.tx.run(async () => present(await this.find(id)));
  }

  async update(id: string, input: UpdateWebhookDto): Promise<WebhookView> {
    await this.validate(input);
    return this.tx.run(async () => {
      await this.find(id, true);
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
          input.name?.trim() ?? null,
          input.url ?? null,
          input.events ?? null,
          input.headers ? JSON.stringify(input.headers) : null,
          input.retryCount ?? null,
          input.timeoutMs ?? null,
          input.status ?? null,
        ],
      );
      return this.get(id);
    });
  }

  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.tx.manager.query(`delete from webhook_endpoints where id = $1`, [id]);
    });
  }

  /** A new secret, shown once; the old one keeps signing as a second signature for 24 h. */
  rotateSecret(id: string): Promise<WebhookWithSecretView> {
    const secret = this.secrets.generate();
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.tx.manager.query(
        `update webhook_endpoints set previous_secret_encrypted = secret_encrypted,
                previous_secret_expires_at = now() + ${ROTATION_OVERLAP}, secret_encrypted = $2, updated_at = now()
          where id = $1`,
        [id, this.secrets.encrypt(secret)],
      );
      return { ...(await this.get(id)), secret };
    });
  }

  deliveries(id: string, query: DeliveryQueryDto): Promise<Page<DeliveryView>> {
    const after = decodeCursor(query.cursor);
    return this.tx.run(async () => {
      await this.find(id);
      const rows = await this.tx.manager.query<(DeliveryView & { cursorAt: Date })[]>(
        `select id, event_id as "eventId", event_type as "eventType", status, attempts, http_status as "httpStatus",
                error, case when status = 'pending' then next_attempt_at end as "nextRetryAt",
                created_at as "createdAt", completed_at as "completedAt", created_at as "cursorAt"
           from webhook_deliveries
          where endpoint_id = $1 and ($2::text is null or status = $2) and ($3::text is null or event_type = $3)
            and ($4::timestamptz is null or (date_trunc('milliseconds', created_at), id) > ($4::timestamptz, $5::uuid))
          order by date_trunc('milliseconds', created_at), id limit $6`,
        [
          id,
          query.status ?? null,
          query.eventType ?? null,
          after?.createdAt ?? null,
          after?.id ?? null,
          query.limit + 1,
        ],
      );
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const last = shown.at(-1);
      return {
        data: shown.map(({ cursorAt: _cursorAt, ...delivery }) => ({
          ...delivery,
          nextRetryAt: iso(delivery.nextRetryAt as unknown as Date | null),
          createdAt: (delivery.createdAt as unknown as Date).toISOString(),
          completedAt: iso(delivery.completedAt as unknown as Date | null),
        })),
        nextCursor:
          more && last ? encodeCursor({ createdAt: last.cursorAt.toISOString(), id: last.id }) : null,
      };
    });
  }

  /** Sends a `webhook.test` event to this endpoint only (the fan-out matches it by endpointId). */
  sendTest(id: string): Promise<{ eventId: string }> {
    return this.tx.run(async () => {
      const endpoint = await this.find(id);
      const [{ id: eventId }] = await this.tx.manager.query<[{ id: string }]>(
        `insert into outbox_events (tenant_id, type, payload)
         values (current_setting('app.tenant_id')::uuid, 'webhook.test', $1::jsonb) returning id`,
        [JSON.stringify({ endpointId: endpoint.id, message: 'test' })],
      );
      return { eventId };
    });
  }

  /** Re-queues a failed or dead-lettered delivery (one more attempt) or, without a delivery id, every dlq one. */
  retry(id: string, deliveryId?: string): Promise<{ requeued: number }> {
    return this.tx.run(async () => {
      await this.find(id);
      const [, requeued] = await this.tx.manager.query<[unknown[], number]>(
        `update webhook_deliveries set status = 'pending', next_attempt_at = now(), completed_at = null
          where endpoint_id = $1 and (($2::uuid is not null and id = $2 and status in ('failed', 'dlq'))
                                   or ($2::uuid is null and status = 'dlq'))`,
        [id, deliveryId ?? null],
      );
      if (deliveryId && requeued === 0) {
        const [exists] = await this.tx.manager.query<unknown[]>(
          `select 1 from webhook_deliveries where endpoint_id = $1 and id = $2`,
          [id, deliveryId],
        );
        if (!exists) throw new DomainException(404, 'not-found', 'Not found', `No delivery ${deliveryId}`);
        throw new DomainException(
          409,
          'illegal-transition',
          'Not retryable',
          'Only failed or dead-lettered deliveries can be retried',
        );
      }
      await this.audit.record({
        action: deliveryId ? 'webhook.delivery.retried' : 'webhook.dlq.replayed',
        entityType: deliveryId ? 'webhook_delivery' : 'webhook_endpoint',
        entityId: deliveryId ?? id,
        after: { endpointId: id, requeued },
      });
      await this.tx.manager.query(`select pg_notify('webhook_deliveries', current_setting('app.tenant_id'))`);
      return { requeued };
    });
  }

  private async validate(input: Partial<CreateWebhookDto>): Promise<void> {
    const errors: { field: string; message: string }[] = [];
    for (const [index, event] of (input.events ?? []).entries()) {
      if (event !== '*' && !EVENT_TYPES.includes(event)) {
        errors.push({ field: `events[${index}]`, message: `unknown event type ${JSON.stringify(event)}` });
      }
    }
    for (const [name, value] of Object.entries(input.headers ?? {})) {
      if (!HEADER_NAME.test(name))
        errors.push({ field: `headers.${name}`, message: 'not a valid header name' });
      else if (RESERVED_HEADERS.test(name))
        errors.push({ field: `headers.${name}`, message: 'reserved header' });
      else if (typeof value !== 'string' || value.length > 1000 || /[\r\n]/.test(value)) {
        errors.push({
          field: `headers.${name}`,
          message: 'must be a single-line string of at most 1000 characters',
        });
      }
    }
    if (input.url !== undefined) {
      const verdict = await this.urls.check(input.url);
      if (!verdict.ok) errors.push({ field: 'url', message: verdict.reason });
    }
    if (errors.length > 0) throw new ValidationFailedException(errors);
  }

  private async find(id: string, lock = false): Promise<EndpointRow> {
    const [row] = await this.tx.manager.query<EndpointRow[]>(
      `select * from webhook_endpoints where id = $1 ${lock ? 'for update' : ''}`,
      [id],
    );
    if (!row) throw new DomainException(404, 'not-found', 'Not found', `No webhook endpoint ${id}`);
    return row;
  }
}

const iso = (value: Date | null) => value?.toISOString() ?? null;

function present(row: EndpointRow): WebhookView {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    events: row.events,
    headers: row.headers,
    retryCount: row.retry_count,
    timeoutMs: row.timeout_ms,
    status: row.status,
    lastSuccessAt: iso(row.last_success_at),
    lastFailureAt: iso(row.last_failure_at),
    failureCount: row.failure_count,
    createdAt: row.created_at.toISOString(),
  };
}
