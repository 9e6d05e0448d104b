import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { SqlAnswer } from '../../platform/http/idempotency/sql-answer.js';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { ReservationQueryDto, ReservationView } from './dto/reservation.dto.js';

/** created_at at the cursor's (JavaScript date) precision, then id: the last row of a page never comes back. */
const RESERVATION_ORDER = [`date_trunc('milliseconds', r.created_at)`, 'r.id'];

/** The status a reservation shows: active past its expires_at is expired, whether or not the job has run. */
const SHOWN_STATUS = `case when r.status = 'active' and r.expires_at <= now() then 'expired' else r.status end`;

/** What reserve_stock() takes besides the reservation (docs/database.md, "Availability"). */
export interface ReservationRequest {
  tenantId: string;
  actorId: string | null;
  actorKind: string;
  idempotencyKey: string | null;
  fingerprint: string | null;
  reservation: unknown;
  auditOrigin: unknown;
}

/** reserve_stock()'s answer: `replayed` when an earlier request with the same Idempotency-Key made it. */
export type CreatedReservation = SqlAnswer<ReservationView>;

export type ReservationFilters = Pick<ReservationQueryDto, 'status' | 'reference' | 'itemId' | 'locationId'>;

/**
 * The reservations' statements: the SQL functions that write them (db/functions: reserve_stock,
 * release_reservation, change_reservation_expiry) and the reads. Creating is one statement on the app pool, its
 * own transaction (the route is @SingleStatement); the others run in the request's tenant transaction.
 */
@Injectable()
export class ReservationsRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TenantTransactions,
  ) {}

  /** One statement, one round trip: reserve_stock() validates, reserves and answers. */
  async reserve(request: ReservationRequest): Promise<CreatedReservation> {
    const [{ result }] = await this.dataSource.query<[{ result: CreatedReservation }]>(
      'select reserve_stock($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb) as result',
      [
        request.tenantId,
        request.actorId,
        request.actorKind,
        request.idempotencyKey,
        request.fingerprint,
        JSON.stringify(request.reservation),
        JSON.stringify(request.auditOrigin),
      ],
    );
    return result;
  }

  /** The reservation, or null when the tenant has none with this id. */
  async document(tenantId: string, id: string): Promise<ReservationView | null> {
    const [row] = await this.tx.manager.query<{ document: ReservationView | null }[]>(
      'select reservation_document($1, $2) as document',
      [tenantId, id],
    );
    return row?.document ?? null;
  }

  /** Releases `lines` (all that is open when null); null when the tenant has no reservation with this id. */
  async release(tenantId: string, id: string, lines: unknown[] | null): Promise<ReservationView | null> {
    const [row] = await this.tx.manager.query<{ document: ReservationView | null }[]>(
      'select release_reservation($1, $2, $3::jsonb) as document',
      [tenantId, id, lines === null ? null : JSON.stringify(lines)],
    );
    return row?.document ?? null;
  }

  /** Moves expiresAt (null: never); null when the tenant has no reservation with this id. */
  async changeExpiry(
    tenantId: string,
    id: string,
    expiresAt: string | null,
  ): Promise<ReservationView | null> {
    const [row] = await this.tx.manager.query<{ document: ReservationView | null }[]>(
      'select change_reservation_expiry($1, $2, $3) as document',
      [tenantId, id, expiresAt],
    );
    return row?.document ?? null;
  }

  /** `limit + 1` reservations, oldest first, after the (createdAt, id) cursor, with their cursor values. */
  list(
    tenantId: string,
    filters: ReservationFilters,
    after: string[] | undefined,
    limit: number,
  ): Promise<{ createdAt: string; document: ReservationView }[]> {
    const p = new SqlParameters();
    const where = [`r.tenant_id = ${p.add(tenantId)}`];
    if (filters.status) where.push(`${SHOWN_STATUS} = ${p.add(filters.status)}`);
    if (filters.reference) where.push(`r.reference = ${p.add(filters.reference)}`);
    if (filters.itemId || filters.locationId) {
      const line = ['l.tenant_id = r.tenant_id', 'l.reservation_id = r.id'];
      if (filters.itemId) line.push(`l.item_id = ${p.add(filters.itemId)}`);
      if (filters.locationId) line.push(`l.location_id = ${p.add(filters.locationId)}`);
      where.push(`exists (select 1 from reservation_lines l where ${line.join(' and ')})`);
    }
    const page = keysetSql(p, RESERVATION_ORDER, after, limit);
    return this.tx.manager.query(
      `select to_char(r.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "createdAt",
              reservation_document(r.tenant_id, r.id) as document
         from reservations r where ${where.join(' and ')} and ${page.where}
        order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }

  /**
   * Marks up to `limit` of the tenant's reservations past their expiresAt as expired (expire_reservations), in
   * the caller's tenant transaction on the owner connection; returns how many.
   */
  async expireBatch(runner: QueryRunner, tenantId: string, limit: number): Promise<number> {
    const [{ expired }] = (await runner.query(`select expire_reservations($1, $2) as expired`, [
      tenantId,
      limit,
    ])) as [{ expired: number }];
    return expired;
  }
}
