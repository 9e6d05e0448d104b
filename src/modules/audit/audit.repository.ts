import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { declareAuditRetention, nameAuditAction } from '../../platform/database/session-settings.js';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { AuditEntryView } from './dto/audit.dto.js';

export interface AuditEventRow {
  action: string;
  entityType: string;
  entityId: string | null;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
}

export interface AuditFilters {
  actorId?: string;
  entityType?: string;
  entityId?: string;
  action?: string;
  /** ISO 8601, inclusive. */
  from?: string;
  /** ISO 8601, exclusive. */
  to?: string;
}

/** An audit_trail row: the view's columns with `at` (created_at) and `position` (its full-precision text, the cursor). */
export interface AuditTrailRow extends Omit<AuditEntryView, 'createdAt'> {
  at: Date;
  position: string;
}

/** Newest first. created_at as stored (microseconds): the cursor carries it as text, so nothing is rounded. */
const TRAIL_ORDER = ['created_at', 'id'];

/**
 * The audit tables. Entries of the request path go into the caller's tenant transaction; the retention purge
 * runs on the owner connection the caller holds (MaintenanceDatabase.inTenant).
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** Who acts and from where come from app.audit, which enter_tenant() set for this transaction. */
  async insert(event: AuditEventRow): Promise<void> {
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
  }

  /** The rows audited from now on in this transaction carry `action`; null ends it. */
  nameAction(action: string | null): Promise<void> {
    return nameAuditAction(this.tx.manager, action);
  }

  /** `limit + 1` changes and denials after the cursor (`after`: [position, id]), newest first, for pageFromRows. */
  list(filters: AuditFilters, after: string[] | undefined, limit: number): Promise<AuditTrailRow[]> {
    const parameters = new SqlParameters();
    const conditions: string[] = [];
    if (filters.actorId !== undefined) conditions.push(`actor_id = ${parameters.add(filters.actorId)}::uuid`);
    if (filters.entityType !== undefined)
      conditions.push(`entity_type = ${parameters.add(filters.entityType)}::text`);
    if (filters.entityId !== undefined)
      conditions.push(`entity_id = ${parameters.add(filters.entityId)}::text`);
    if (filters.action !== undefined) conditions.push(`action = ${parameters.add(filters.action)}::text`);
    if (filters.from !== undefined)
      conditions.push(`created_at >= ${parameters.add(filters.from)}::timestamptz`);
    if (filters.to !== undefined) conditions.push(`created_at < ${parameters.add(filters.to)}::timestamptz`);
    const page = keysetSql(parameters, TRAIL_ORDER, after, limit, 'desc');
    return this.tx.manager.query<AuditTrailRow[]>(
      `select id, created_at as at, created_at::text as position, actor_id as "actorId",
              actor_kind as "actorKind", actor_name as "actorName", action, entity_type as "entityType",
              entity_id as "entityId", before, after, request_id as "requestId", ip
         from audit_trail
        where ${[...conditions, page.where].join(' and ')}
        order by ${page.orderBy}
        limit ${page.limit}`,
      parameters.values,
    );
  }

  /** Lets this (owner) transaction delete expired entries past the append-only trigger. */
  declareRetention(runner: QueryRunner): Promise<void> {
    return declareAuditRetention(runner);
  }

  /** Deletes the tenant's changes older than `days`; returns how many. */
  async purgeChanges(runner: QueryRunner, tenantId: string, days: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, deleted] = (await runner.query(
      `delete from audit_logs where tenant_id = $1 and created_at < now() - make_interval(days => $2)`,
      [tenantId, days],
    )) as [unknown[], number];
    return deleted;
  }

  /** Deletes the tenant's permission denials older than `days`; returns how many. */
  async purgeDenials(runner: QueryRunner, tenantId: string, days: number): Promise<number> {
    const [, deleted] = (await runner.query(
      `delete from rbac_audit_log where tenant_id = $1 and created_at < now() - make_interval(days => $2)`,
      [tenantId, days],
    )) as [unknown[], number];
    return deleted;
  }
}
