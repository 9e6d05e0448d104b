import { Injectable } from '@nestjs/common';
import { decodeKeyCursor, encodeKeyCursor, type Page } from '../../platform/http/pagination/pagination.js';
import { nameAuditAction } from '../../platform/database/session-settings.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { AuditEntryView, AuditQueryDto } from './dto/audit.dto.js';

export interface AuditEvent {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The audit log. Row changes are recorded by triggers (migration CreateAuditLogs) in the transaction of the
 * change; this service adds the events that are not a row change of a tenant table (tenant settings live in
 * the global tenants table) and names actions whose row change alone would not say what happened.
 */
@Injectable()
export class AuditService {
  constructor(private readonly tx: TenantTransactions) {}

  /** Records `event` in the current tenant transaction (opened for the context's tenant when none is). */
  record(event: AuditEvent): Promise<void> {
    return this.tx.run(async () => {
      await this.tx.manager.query(
        `insert into audit_logs (tenant_id, actor_id, actor_kind, actor_name, action, entity_type, entity_id,
                                 before, after, request_id, ip)
         select current_setting('app.tenant_id')::uuid, (o ->> 'actorId')::uuid, o ->> 'actorKind',
                o ->> 'actorName', $1, $2, $3, $4::jsonb, $5::jsonb, o ->> 'requestId', o ->> 'ip'
           from (select current_setting('app.audit')::jsonb as o) origin`,
        [
          event.action,
          event.entityType,
          event.entityId,
          event.before ? JSON.stringify(event.before) : null,
          event.after ? JSON.stringify(event.after) : null,
        ],
      );
    });
  }

  /**
   * Runs `fn` (one change) so that the rows its statements audit carry `action` (e.g. `user.erased`) instead
   * of the generic `user.updated`.
   */
  named<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return this.tx.run(async () => {
      await nameAuditAction(this.tx.manager, action);
      try {
        return await fn();
      } finally {
        await nameAuditAction(this.tx.manager, null);
      }
    });
  }

  /** Changes and permission denials, newest first, keyset-paginated on (created_at, id). */
  list(query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    const after = decodeKeyCursor(query.cursor, [TIMESTAMP, UUID]);
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<Array<AuditEntryView & { position: string; at: Date }>>(
        `select id, created_at as at, created_at::text as position, actor_id as "actorId",
                actor_kind as "actorKind", actor_name as "actorName", action, entity_type as "entityType",
                entity_id as "entityId", before, after, request_id as "requestId", ip
           from audit_trail
          where ($1::uuid is null or actor_id = $1) and ($2::text is null or entity_type = $2)
            and ($3::text is null or entity_id = $3) and ($4::text is null or action = $4)
            and ($5::timestamptz is null or created_at >= $5) and ($6::timestamptz is null or created_at < $6)
            and ($7::timestamptz is null or (created_at, id) < ($7::timestamptz, $8::uuid))
          order by created_at desc, id desc
          limit $9`,
        [
          query.actorId ?? null,
          query.entityType ?? null,
          query.entityId ?? null,
          query.action ?? null,
          query.from ?? null,
          query.to ?? null,
          after?.[0] ?? null,
          after?.[1] ?? null,
          query.limit + 1,
        ],
      );
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const last = shown.at(-1);
      return {
        data: shown.map(({ position: _position, at, ...entry }) => ({
          ...entry,
          createdAt: at.toISOString(),
        })),
        nextCursor: more && last ? encodeKeyCursor([last.position, last.id]) : null,
      };
    });
  }
}
