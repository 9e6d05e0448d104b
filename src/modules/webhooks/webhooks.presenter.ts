import type { DeliveryView, WebhookView } from './dto/webhook.dto.js';
import type { DeliveryRow, EndpointRow } from './webhook-endpoints.repository.js';

const iso = (value: Date | null) => value?.toISOString() ?? null;

/** An endpoint as the API shows it: never its secrets. */
export function presentEndpoint(row: EndpointRow): WebhookView {
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

export function presentDelivery(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status,
    attempts: row.attempts,
    httpStatus: row.httpStatus,
    error: row.error,
    nextRetryAt: iso(row.nextRetryAt),
    createdAt: row.createdAt.toISOString(),
    completedAt: iso(row.completedAt),
  };
}
