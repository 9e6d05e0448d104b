import { Injectable } from '@nestjs/common';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { decodeKeyCursor, type Page } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AuditRepository, type AuditTrailRow } from './audit.repository.js';
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
  constructor(
    private readonly tx: TenantTransactions,
    private readonly repository: AuditRepository,
  ) {}

  /** Records `event` in the current tenant transaction (opened for the context's tenant when none is). */
  record(event: AuditEvent): Promise<void> {
    return this.tx.run(() => this.repository.insert(event));
  }

  /**
   * Runs `fn` (one change) so that the rows its statements audit carry `action` (e.g. `user.erased`) instead
   * of the generic `user.updated`.
   */
  named<T>(action: string, fn: () => Promise<T>): Promise<T> {
    return this.tx.run(async () => {
      await this.repository.nameAction(action);
      try {
        return await fn();
      } finally {
        await this.repository.nameAction(null);
      }
    });
  }

  /** Changes and permission denials, newest first, keyset-paginated on (created_at, id). */
  list(query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    const after = decodeKeyCursor(query.cursor, [TIMESTAMP, UUID]);
    return this.tx.run(async () => {
      const rows = await this.repository.list(query, after, query.limit);
      return pageFromRows(rows, query.limit, (row) => [row.position, row.id], present);
    });
  }
}

function present({ position: _position, at, ...entry }: AuditTrailRow): AuditEntryView {
  return { ...entry, createdAt: at.toISOString() };
}
