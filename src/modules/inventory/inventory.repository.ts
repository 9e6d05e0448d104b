import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { SqlAnswer } from '../../platform/http/idempotency/sql-answer.js';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type {
  BalanceQueryDto,
  BalanceView,
  LedgerQueryDto,
  MovementQueryDto,
  OnHandView,
} from './dto/inventory-query.dto.js';
import type { LedgerEntryView, MovementView } from './dto/movement.dto.js';

/** The sort key of a missing lot: keys without a lot order (and page) as if their lot id were all zeros. */
const NO_LOT = '00000000-0000-0000-0000-000000000000';
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** created_at at the cursor's (JavaScript date) precision, then id: the last row of a page never comes back. */
const MOVEMENT_ORDER = [`date_trunc('milliseconds', created_at)`, 'id'];
const LEDGER_ORDER = ['l.id'];
const BALANCE_ORDER = ['b.id'];
const BALANCE_AS_OF_ORDER = ['l.item_id', 'l.location_id', `coalesce(l.lot_id, '${NO_LOT}')`];
const ON_HAND_ORDER = [`date_trunc('milliseconds', i.created_at)`, 'i.id'];

export type MovementFilters = Pick<MovementQueryDto, 'type' | 'from' | 'to'>;
export type LedgerFilters = Pick<
  LedgerQueryDto,
  'itemId' | 'locationId' | 'lotCode' | 'movementId' | 'from' | 'to'
>;
export type BalanceFilters = Pick<BalanceQueryDto, 'itemId' | 'locationId' | 'lotCode'>;

/** A current balance with its row id (the cursor). */
export type BalanceRow = BalanceView & { id: string };

/** A balance summed from the ledger, with its lot's sort key (the cursor's third value). */
export type BalanceAsOfRow = BalanceView & { lotKey: string };

/** An item's on-hand summary with its created_at as the cursor's text. */
export type OnHandRow = OnHandView & { cursorAt: string };

/** What post_movement() takes besides the movement (docs/database.md). */
export interface MovementPosting {
  tenantId: string;
  actorId: string | null;
  actorKind: string;
  idempotencyKey: string | null;
  fingerprint: string | null;
  movement: unknown;
  auditOrigin: unknown;
}

/** post_movement()'s answer: `replayed` when an earlier request with the same Idempotency-Key posted it. */
export type PostedMovement = SqlAnswer<MovementView>;

/**
 * The inventory's statements. Reads run in the caller's tenant transaction (row-level security scopes every
 * query); posting is one statement on the app pool, its own transaction (the route is @SingleStatement).
 */
@Injectable()
export class InventoryRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TenantTransactions,
  ) {}

  /** One statement, one round trip (ADR 0009): post_movement() validates, writes and answers. */
  async postMovement(posting: MovementPosting): Promise<PostedMovement> {
    const [{ result }] = await this.dataSource.query<[{ result: PostedMovement }]>(
      'select post_movement($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, false) as result',
      [
        posting.tenantId,
        posting.actorId,
        posting.actorKind,
        posting.idempotencyKey,
        posting.fingerprint,
        JSON.stringify(posting.movement),
        JSON.stringify(posting.auditOrigin),
      ],
    );
    return result;
  }

  /** The movement with its ledger entries, or null when the tenant has none with this id. */
  async movementDocument(id: string): Promise<MovementView | null> {
    const [row] = await this.tx.manager.query<{ document: MovementView | null }[]>(
      'select movement_document($1) as document',
      [id],
    );
    return row?.document ?? null;
  }

  /** `limit + 1` movements (without lines) after the (createdAt, id) cursor. */
  movements(filters: MovementFilters, after: string[] | undefined, limit: number): Promise<MovementView[]> {
    const p = new SqlParameters();
    const where = ['true'];
    if (filters.type) where.push(`type = ${p.add(filters.type)}`);
    if (filters.from) where.push(`occurred_at >= ${p.add(filters.from)}`);
    if (filters.to) where.push(`occurred_at < ${p.add(filters.to)}`);
    const page = keysetSql(p, MOVEMENT_ORDER, after, limit);
    return this.tx.manager.query<MovementView[]>(
      `select id, type, reference, note, to_char(occurred_at at time zone 'UTC', ${ISO}) as "occurredAt",
              to_char(created_at at time zone 'UTC', ${ISO}) as "createdAt", created_by as "createdBy",
              line_count as "lineCount"
         from inventory_movements where ${where.join(' and ')} and ${page.where}
        order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }

  /** `limit + 1` ledger entries in posting order after the ledger id cursor. */
  async ledger(
    filters: LedgerFilters,
    after: string[] | undefined,
    limit: number,
  ): Promise<LedgerEntryView[]> {
    const p = new SqlParameters();
    const where = ['true'];
    if (filters.itemId) where.push(`l.item_id = ${p.add(filters.itemId)}`);
    if (filters.locationId) where.push(`l.location_id = ${p.add(filters.locationId)}`);
    if (filters.lotCode) where.push(`lt.code = ${p.add(filters.lotCode)}`);
    if (filters.movementId) where.push(`l.movement_id = ${p.add(filters.movementId)}`);
    if (filters.from) where.push(`l.occurred_at >= ${p.add(filters.from)}`);
    if (filters.to) where.push(`l.occurred_at < ${p.add(filters.to)}`);
    const page = keysetSql(p, LEDGER_ORDER, after, limit);
    const rows = await this.tx.manager.query<{ entry: LedgerEntryView }[]>(
      `select ledger_document(l, lt.code) as entry
         from inventory_ledger l left join lots lt on lt.tenant_id = l.tenant_id and lt.id = l.lot_id
        where ${where.join(' and ')} and ${page.where} order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
    return rows.map((row) => row.entry);
  }

  /** `limit + 1` current balance rows after the balance id cursor. */
  currentBalances(
    filters: BalanceFilters,
    after: string[] | undefined,
    limit: number,
  ): Promise<BalanceRow[]> {
    const p = new SqlParameters();
    const where = ['true'];
    if (filters.itemId) where.push(`b.item_id = ${p.add(filters.itemId)}`);
    if (filters.locationId) where.push(`b.location_id = ${p.add(filters.locationId)}`);
    if (filters.lotCode) where.push(`lt.code = ${p.add(filters.lotCode)}`);
    const page = keysetSql(p, BALANCE_ORDER, after, limit);
    return this.tx.manager.query<BalanceRow[]>(
      `select b.id::text as id, b.item_id as "itemId", b.location_id as "locationId", lt.code as "lotCode",
              trim_scale(b.qty)::text as qty, trim_scale(r.reserved)::text as reserved,
              trim_scale(b.qty - r.reserved)::text as available,
              to_char(b.updated_at at time zone 'UTC', ${ISO}) as "updatedAt",
              b.last_ledger_id::text as "lastLedgerId"
         from inventory_balances b left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
         cross join lateral (select key_reserved(b.tenant_id, b.item_id, b.location_id, b.lot_id) as reserved) r
        where ${where.join(' and ')} and ${page.where} order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }

  /** `limit + 1` balances at `asOf`, summed from the ledger (occurred_at <= asOf), after the key cursor. */
  balancesAsOf(
    filters: BalanceFilters,
    asOf: string,
    after: string[] | undefined,
    limit: number,
  ): Promise<BalanceAsOfRow[]> {
    const p = new SqlParameters();
    const where = [`l.occurred_at <= ${p.add(asOf)}`];
    if (filters.itemId) where.push(`l.item_id = ${p.add(filters.itemId)}`);
    if (filters.locationId) where.push(`l.location_id = ${p.add(filters.locationId)}`);
    if (filters.lotCode) where.push(`lt.code = ${p.add(filters.lotCode)}`);
    const page = keysetSql(p, BALANCE_AS_OF_ORDER, after, limit);
    return this.tx.manager.query<BalanceAsOfRow[]>(
      `select l.item_id as "itemId", l.location_id as "locationId", min(lt.code) as "lotCode",
              trim_scale(sum(l.qty_base))::text as qty, null as reserved, null as available,
              to_char(max(l.created_at) at time zone 'UTC', ${ISO}) as "updatedAt",
              max(l.id)::text as "lastLedgerId", coalesce(l.lot_id, '${NO_LOT}')::text as "lotKey"
         from inventory_ledger l left join lots lt on lt.tenant_id = l.tenant_id and lt.id = l.lot_id
        where ${where.join(' and ')}
        group by l.item_id, l.location_id, l.lot_id having ${page.where}
        order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }

  /** `limit + 1` active items with their on-hand quantity per location (lots summed), after the (createdAt, id) cursor. */
  onHand(after: string[] | undefined, limit: number): Promise<OnHandRow[]> {
    const p = new SqlParameters();
    const page = keysetSql(p, ON_HAND_ORDER, after, limit);
    return this.tx.manager.query<OnHandRow[]>(
      `select i.id as "itemId", i.sku, i.name, i.base_uom as "baseUom",
              coalesce(trim_scale(sum(per.on_hand))::text, '0') as "onHand",
              coalesce(trim_scale(sum(per.reserved))::text, '0') as reserved,
              coalesce(trim_scale(sum(per.available))::text, '0') as available,
              coalesce(jsonb_agg(jsonb_build_object('locationId', per.location_id,
                                                    'qty', trim_scale(per.on_hand)::text,
                                                    'reserved', trim_scale(per.reserved)::text,
                                                    'available', trim_scale(per.available)::text)
                                 order by per.location_id) filter (where per.location_id is not null), '[]') as locations,
              to_char(i.created_at at time zone 'UTC', ${ISO}) as "cursorAt"
         from items i
         left join lateral (
           select a.location_id, a.on_hand, a.reserved, a.available from stock_availability(i.tenant_id) a
            where a.item_id = i.id
         ) per on true
        where i.archived_at is null and ${page.where}
        group by i.tenant_id, i.id
        order by ${page.orderBy} limit ${page.limit}`,
      p.values,
    );
  }
}
