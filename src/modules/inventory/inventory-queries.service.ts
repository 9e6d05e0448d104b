import { Injectable } from '@nestjs/common';
import {
  type Page,
  type PageQueryDto,
  decodeCursor,
  decodeKeyCursor,
  encodeCursor,
  encodeKeyCursor,
} from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type {
  BalanceQueryDto,
  BalanceView,
  LedgerQueryDto,
  MovementQueryDto,
  OnHandView,
} from './dto/inventory-query.dto.js';
import type { LedgerEntryView, MovementView } from './dto/movement.dto.js';

const DIGITS = /^\d{1,19}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NO_LOT = '00000000-0000-0000-0000-000000000000';
const ISO = `'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'`;

/** Parameter list that numbers itself: where.add(value) returns "$n". */
class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

function more<T>(rows: T[], limit: number): { shown: T[]; last: T | undefined; hasMore: boolean } {
  const hasMore = rows.length > limit;
  const shown = hasMore ? rows.slice(0, limit) : rows;
  return { shown, last: shown.at(-1), hasMore };
}

/** Reads of the inventory, in the request's tenant transaction (row-level security scopes every query). */
@Injectable()
export class InventoryQueries {
  constructor(private readonly tx: TenantTransactions) {}

  async movement(id: string): Promise<MovementView> {
    const [row] = await this.tx.run(() =>
      this.tx.manager.query<{ document: MovementView | null }[]>('select movement_document($1) as document', [
        id,
      ]),
    );
    if (!row?.document) throw new DomainException(404, 'not-found', 'Not found', `No movement ${id}`);
    return row.document;
  }

  movements(query: MovementQueryDto): Promise<Page<MovementView>> {
    const after = decodeCursor(query.cursor);
    const p = new Params();
    const where = ['true'];
    if (query.type) where.push(`type = ${p.add(query.type)}`);
    if (query.from) where.push(`occurred_at >= ${p.add(query.from)}`);
    if (query.to) where.push(`occurred_at < ${p.add(query.to)}`);
    if (after)
      where.push(
        `(date_trunc('milliseconds', created_at), id) > (${p.add(after.createdAt)}, ${p.add(after.id)})`,
      );
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<(MovementView & { cursorAt: string })[]>(
        `select id, type, reference, note, to_char(occurred_at at time zone 'UTC', ${ISO}) as "occurredAt",
                to_char(created_at at time zone 'UTC', ${ISO}) as "createdAt", created_by as "createdBy",
                line_count as "lineCount", to_char(created_at at time zone 'UTC', ${ISO}) as "cursorAt"
           from inventory_movements where ${where.join(' and ')}
          order by date_trunc('milliseconds', created_at), id limit ${p.add(query.limit + 1)}`,
        p.values,
      );
      const { shown, last, hasMore } = more(rows, query.limit);
      return {
        data: shown.map(({ cursorAt: _cursorAt, ...movement }) => movement),
        nextCursor: hasMore && last ? encodeCursor({ createdAt: last.cursorAt, id: last.id }) : null,
      };
    });
  }

  ledger(query: LedgerQueryDto): Promise<Page<LedgerEntryView>> {
    const after = decodeKeyCursor(query.cursor, [DIGITS]);
    const p = new Params();
    const where = ['true'];
    if (query.itemId) where.push(`l.item_id = ${p.add(query.itemId)}`);
    if (query.locationId) where.push(`l.location_id = ${p.add(query.locationId)}`);
    if (query.lotCode) where.push(`lt.code = ${p.add(query.lotCode)}`);
    if (query.movementId) where.push(`l.movement_id = ${p.add(query.movementId)}`);
    if (query.from) where.push(`l.occurred_at >= ${p.add(query.from)}`);
    if (query.to) where.push(`l.occurred_at < ${p.add(query.to)}`);
    if (after) where.push(`l.id > ${p.add(after[0])}`);
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<{ entry: LedgerEntryView }[]>(
        `select ledger_document(l, lt.code) as entry
           from inventory_ledger l left join lots lt on lt.tenant_id = l.tenant_id and lt.id = l.lot_id
          where ${where.join(' and ')} order by l.id limit ${p.add(query.limit + 1)}`,
        p.values,
      );
      const { shown, last, hasMore } = more(rows, query.limit);
      return {
        data: shown.map((row) => row.entry),
        nextCursor: hasMore && last ? encodeKeyCursor([last.entry.id]) : null,
      };
    });
  }

  balances(query: BalanceQueryDto): Promise<Page<BalanceView>> {
    return query.asOf ? this.balancesAsOf(query, query.asOf) : this.currentBalances(query);
  }

  private currentBalances(query: BalanceQueryDto): Promise<Page<BalanceView>> {
    const after = decodeKeyCursor(query.cursor, [DIGITS]);
    const p = new Params();
    const where = ['true'];
    if (query.itemId) where.push(`b.item_id = ${p.add(query.itemId)}`);
    if (query.locationId) where.push(`b.location_id = ${p.add(query.locationId)}`);
    if (query.lotCode) where.push(`lt.code = ${p.add(query.lotCode)}`);
    if (after) where.push(`b.id > ${p.add(after[0])}`);
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<(BalanceView & { id: string })[]>(
        `select b.id::text as id, b.item_id as "itemId", b.location_id as "locationId", lt.code as "lotCode",
                trim_scale(b.qty)::text as qty, to_char(b.updated_at at time zone 'UTC', ${ISO}) as "updatedAt",
                b.last_ledger_id::text as "lastLedgerId"
           from inventory_balances b left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
          where ${where.join(' and ')} order by b.id limit ${p.add(query.limit + 1)}`,
        p.values,
      );
      const { shown, last, hasMore } = more(rows, query.limit);
      return {
        data: shown.map(({ id: _id, ...balance }) => balance),
        nextCursor: hasMore && last ? encodeKeyCursor([last.id]) : null,
      };
    });
  }

  /** Balances at a past moment, summed from the ledger (occurred_at <= asOf), in key order. */
  private balancesAsOf(query: BalanceQueryDto, asOf: string): Promise<Page<BalanceView>> {
    const after = decodeKeyCursor(query.cursor, [UUID, UUID, UUID]);
    const p = new Params();
    const where = [`l.occurred_at <= ${p.add(asOf)}`];
    if (query.itemId) where.push(`l.item_id = ${p.add(query.itemId)}`);
    if (query.locationId) where.push(`l.location_id = ${p.add(query.locationId)}`);
    if (query.lotCode) where.push(`lt.code = ${p.add(query.lotCode)}`);
    const having = after
      ? `having (l.item_id, l.location_id, coalesce(l.lot_id, '${NO_LOT}')) > (${p.add(after[0])}::uuid, ${p.add(after[1])}::uuid, ${p.add(after[2])}::uuid)`
      : '';
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<(BalanceView & { lotKey: string })[]>(
        `select l.item_id as "itemId", l.location_id as "locationId", min(lt.code) as "lotCode",
                trim_scale(sum(l.qty_base))::text as qty,
                to_char(max(l.created_at) at time zone 'UTC', ${ISO}) as "updatedAt",
                max(l.id)::text as "lastLedgerId", coalesce(l.lot_id, '${NO_LOT}')::text as "lotKey"
           from inventory_ledger l left join lots lt on lt.tenant_id = l.tenant_id and lt.id = l.lot_id
          where ${where.join(' and ')}
          group by l.item_id, l.location_id, l.lot_id ${having}
          order by l.item_id, l.location_id, coalesce(l.lot_id, '${NO_LOT}') limit ${p.add(query.limit + 1)}`,
        p.values,
      );
      const { shown, last, hasMore } = more(rows, query.limit);
      return {
        data: shown.map(({ lotKey: _lotKey, ...balance }) => balance),
        nextCursor: hasMore && last ? encodeKeyCursor([last.itemId, last.locationId, last.lotKey]) : null,
      };
    });
  }

  /** On hand per active item, with its quantity per location (lots summed). */
  onHand(query: PageQueryDto): Promise<Page<OnHandView>> {
    const after = decodeCursor(query.cursor);
    const p = new Params();
    const where = ['i.archived_at is null'];
    if (after)
      where.push(
        `(date_trunc('milliseconds', i.created_at), i.id) > (${p.add(after.createdAt)}, ${p.add(after.id)})`,
      );
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<(OnHandView & { cursorAt: string })[]>(
        `select i.id as "itemId", i.sku, i.name, i.base_uom as "baseUom",
                coalesce(trim_scale(sum(per.qty))::text, '0') as "onHand",
                coalesce(jsonb_agg(jsonb_build_object('locationId', per.location_id, 'qty', trim_scale(per.qty)::text)
                                   order by per.location_id) filter (where per.location_id is not null), '[]') as locations,
                to_char(i.created_at at time zone 'UTC', ${ISO}) as "cursorAt"
           from items i
           left join lateral (
             select b.location_id, sum(b.qty) as qty from inventory_balances b
              where b.tenant_id = i.tenant_id and b.item_id = i.id group by b.location_id
           ) per on true
          where ${where.join(' and ')}
          group by i.tenant_id, i.id
          order by date_trunc('milliseconds', i.created_at), i.id limit ${p.add(query.limit + 1)}`,
        p.values,
      );
      const { shown, last, hasMore } = more(rows, query.limit);
      return {
        data: shown.map(({ cursorAt: _cursorAt, ...summary }) => summary),
        nextCursor: hasMore && last ? encodeCursor({ createdAt: last.cursorAt, id: last.itemId }) : null,
      };
    });
  }
}
