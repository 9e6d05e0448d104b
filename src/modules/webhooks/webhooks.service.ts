import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { type Page, decodeCursor } from '../../platform/http/pagination/pagination.js';
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
import { SUBSCRIBABLE_EVENT_TYPES as EVENT_TYPES } from './event-catalog.js';
import { type EndpointRow, WebhookEndpointsRepository } from './webhook-endpoints.repository.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';
import { presentDelivery, presentEndpoint } from './webhooks.presenter.js';

/** Our signature and protocol headers: a custom header may not set them. */
const RESERVED_HEADERS =
  /^(webhook-.*|x-webhook-.*|content-type|content-length|host|user-agent|connection|transfer-encoding)$/i;
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}$/;
/** The previous secret keeps signing (as a second signature) this long after a rotation (an SQL interval). */
const ROTATION_OVERLAP = '24 hours';

/** A cursor we issued holds (created_at, id) of the last row shown. */
const cursorPosition = (cursor: string | undefined) => {
  const after = decodeCursor(cursor);
  return after && [after.createdAt, after.id];
};

@Injectable()
export class WebhooksService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly endpoints: WebhookEndpointsRepository,
    private readonly secrets: WebhookSecrets,
    private readonly urls: WebhookUrlGuard,
    private readonly audit: AuditService,
  ) {}

  async create(input: CreateWebhookDto): Promise<WebhookWithSecretView> {
    await this.validate(input);
    const secret = this.secrets.generate();
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.endpoints.insert({
        id,
        name: input.name.trim(),
        url: input.url,
        events: input.events,
        headers: input.headers ?? {},
        retryCount: input.retryCount ?? 3,
        timeoutMs: input.timeoutMs ?? 10_000,
        secretEncrypted: this.secrets.encrypt(secret),
      });
      return { ...(await this.get(id)), secret };
    });
  }

  list(query: { limit: number; cursor?: string }): Promise<Page<WebhookView>> {
    const after = cursorPosition(query.cursor);
    return this.tx.run(async () =>
      pageFromRows(
        await this.endpoints.page(after, query.limit),
        query.limit,
        (row) => [row.created_at.toISOString(), row.id],
        presentEndpoint,
      ),
    );
  }

  get(id: string): Promise<WebhookView> {
    return this.tx.run(async () => presentEndpoint(await this.find(id)));
  }

  async update(id: string, input: UpdateWebhookDto): Promise<WebhookView> {
    await this.validate(input);
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.endpoints.update(id, {
        name: input.name?.trim() ?? null,
        url: input.url ?? null,
        events: input.events ?? null,
        headers: input.headers ?? null,
        retryCount: input.retryCount ?? null,
        timeoutMs: input.timeoutMs ?? null,
        status: input.status ?? null,
      });
      return this.get(id);
    });
  }

  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.endpoints.delete(id);
    });
  }

  /** A new secret, shown once; the old one keeps signing as a second signature for 24 h. */
  rotateSecret(id: string): Promise<WebhookWithSecretView> {
    const secret = this.secrets.generate();
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.endpoints.rotateSecret(id, this.secrets.encrypt(secret), ROTATION_OVERLAP);
      return { ...(await this.get(id)), secret };
    });
  }

  deliveries(id: string, query: DeliveryQueryDto): Promise<Page<DeliveryView>> {
    const after = cursorPosition(query.cursor);
    return this.tx.run(async () => {
      await this.find(id);
      const rows = await this.endpoints.deliveries(
        id,
        { status: query.status, eventType: query.eventType },
        after,
        query.limit,
      );
      return pageFromRows(rows, query.limit, (row) => [row.createdAt.toISOString(), row.id], presentDelivery);
    });
  }

  /** Sends a `webhook.test` event to this endpoint only (the fan-out matches it by endpointId). */
  sendTest(id: string): Promise<{ eventId: string }> {
    return this.tx.run(async () => {
      const endpoint = await this.find(id);
      const eventId = await this.endpoints.insertTestEvent({ endpointId: endpoint.id, message: 'test' });
      return { eventId };
    });
  }

  /** Re-queues a failed or dead-lettered delivery (one more attempt) or, without a delivery id, every dlq one. */
  retry(id: string, deliveryId?: string): Promise<{ requeued: number }> {
    return this.tx.run(async () => {
      await this.find(id);
      const requeued = await this.endpoints.requeue(id, deliveryId ?? null);
      if (deliveryId && requeued === 0) {
        if (!(await this.endpoints.deliveryExists(id, deliveryId))) {
          throw new DomainException('not-found', `No delivery ${deliveryId}`);
        }
        throw new DomainException(
          'illegal-transition',
          'Only failed or dead-lettered deliveries can be retried',
        );
      }
      await this.audit.record({
        action: deliveryId ? 'webhook.delivery.retried' : 'webhook.dlq.replayed',
        entityType: deliveryId ? 'webhook_delivery' : 'webhook_endpoint',
        entityId: deliveryId ?? id,
        after: { endpointId: id, requeued },
      });
      await this.endpoints.notifyDispatchers();
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
    const row = await this.endpoints.find(id, lock);
    if (!row) throw new DomainException('not-found', `No webhook endpoint ${id}`);
    return row;
  }
}
