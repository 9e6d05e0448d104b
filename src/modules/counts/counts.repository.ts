import { Injectable } from '@nestjs/common';
import type { FieldError } from '../../platform/http/problem-details/problem-details.js';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import type { EventType } from '../../platform/outbox/event-types.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { MovementView } from '../inventory/index.js';
import type { CountStamp, CountStatus } from './count-state.js';

export interface SheetRow {
  id: string;
  count_number: string;
  name: string | null;
  location_ids: string[];
  item_ids: string[];
  blind: boolean;
  status: CountStatus;
  created_at: Date;
  started_at: Date | null;
  submitted_at: Date | null;
  posted_at: Date | null;
  cancelled_at: Date | null;
  movement_id: string | null;
}

export interface LineRow {
  item_id: string;
  location_id: string;
  lot_code: string | null;
  in_snapshot: boolean;
  expected_qty: string;
  counted_qty: string | null;
  system_qty_at_entry: string | null;
  variance: string | null;
  counted_at: Date | null;
}

/** A non-zero variance, shaped as a post_movement() line (lotCode null when the item has no lots). */
export interface VarianceRow {
  itemId: string;
  locationId: string;
  lotCode: string | null;
  qty: string;
}

export interface NewSheet {
  id: string;
  countNumber: string;
  name: string | null;
  locationIds: string[];
  itemIds: string[];
  blind: boolean;
  createdBy: string | null;
}

/** The body post_movement() takes (docs/database.md). */
export interface AdjustmentInput {
  type: 'adjustment';
  reference: string;
  lines: Array<{ itemId: string; locationId: string; lotCode?: string; qty: string }>;
}

export interface OutboxPayload {
  id: string;
  countNumber: string;
  status: CountStatus;
  movementId: string | null;
}

/** The order key of the list: created_at at the cursor's (JavaScript date) precision, then id. */
const SHEET_ORDER = [`date_trunc('milliseconds', created_at)`, 'id'];

/** The request's lines as rows (idx = position in the request), for the upsert. */
const PARSED_LINES = `
  with input as (
    select (e.ord - 1)::integer as idx, e.line from jsonb_array_elements($1::jsonb) with ordinality as e (line, ord)
  ), p as (
    select idx, (line ->> 'itemId')::uuid as item_id, (line ->> 'locationId')::uuid as location_id,
           nullif(btrim(line ->> 'lotCode'), '') as lot_code, (line ->> 'countedQty')::numeric as counted
      from input
  )`;

/** The statements of the counts feature (docs/counts.md), all inside the caller's tenant transaction. */
@Injectable()
export class CountsRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** The counter row's lock serialises creations per tenant; it commits or rolls back with the sheet: no gaps. */
  async nextCountValue(): Promise<string> {
    const [{ value }] = await this.tx.manager.query<[{ value: string }]>(
      `insert into tenant_counters (tenant_id, name, value) values (current_setting('app.tenant_id')::uuid, 'count', 1)
       on conflict (tenant_id, name) do update set value = tenant_counters.value + 1 returning value::text`,
    );
    return value;
  }

  async insertSheet(sheet: NewSheet): Promise<void> {
    await this.tx.manager.query(
      `insert into count_sheets (tenant_id, id, count_number, name, location_ids, item_ids, blind, status, created_by)
       values (current_setting('app.tenant_id')::uuid, $1, $2, $3, $4, $5, $6, 'draft', $7)`,
      [
        sheet.id,
        sheet.countNumber,
        sheet.name,
        sheet.locationIds,
        sheet.itemIds,
        sheet.blind,
        sheet.createdBy,
      ],
    );
  }

  /** `limit + 1` sheets after the (createdAt, id) cursor, for pageFromRows. */
  listSheets(after: [createdAt: string, id: string] | undefined, limit: number): Promise<SheetRow[]> {
    const parameters = new SqlParameters();
    const page = keysetSql(parameters, SHEET_ORDER, after, limit);
    return this.tx.manager.query<SheetRow[]>(
      `select * from count_sheets where ${page.where} order by ${page.orderBy} limit ${page.limit}`,
      parameters.values,
    );
  }

  async findSheet(id: string): Promise<SheetRow | undefined> {
    const [sheet] = await this.tx.manager.query<SheetRow[]>(`select * from count_sheets where id = $1`, [id]);
    return sheet;
  }

  /** Locks the sheet for the rest of the transaction: concurrent transitions of one sheet wait for each other. */
  async lockSheet(id: string): Promise<SheetRow | undefined> {
    const [sheet] = await this.tx.manager.query<SheetRow[]>(
      `select * from count_sheets where id = $1 for update`,
      [id],
    );
    return sheet;
  }

  findLines(sheetId: string): Promise<LineRow[]> {
    return this.tx.manager.query<LineRow[]>(
      `select item_id, location_id, lot_code, in_snapshot, trim_scale(expected_qty)::text as expected_qty,
              trim_scale(counted_qty)::text as counted_qty, trim_scale(system_qty_at_entry)::text as system_qty_at_entry,
              trim_scale(counted_qty - system_qty_at_entry)::text as variance, counted_at
         from count_lines where sheet_id = $1 order by item_id, location_id, lot_code nulls first`,
      [sheetId],
    );
  }

  async existingItemIds(ids: string[]): Promise<string[]> {
    const rows = await this.tx.manager.query<{ id: string }[]>(
      `select id from items where id = any($1::uuid[])`,
      [ids],
    );
    return rows.map((row) => row.id);
  }

  async existingLocationIds(ids: string[]): Promise<string[]> {
    const rows = await this.tx.manager.query<{ id: string }[]>(
      `select id from locations where id = any($1::uuid[])`,
      [ids],
    );
    return rows.map((row) => row.id);
  }

  /** The snapshot: a line with the expected quantity of every balance key in the scope (empty = all). */
  async insertSnapshotLines(sheetId: string, itemIds: string[], locationIds: string[]): Promise<void> {
    await this.tx.manager.query(
      `insert into count_lines (tenant_id, sheet_id, item_id, location_id, lot_code, in_snapshot, expected_qty)
       select b.tenant_id, $1, b.item_id, b.location_id, lt.code, true, b.qty
         from inventory_balances b
         left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
        where (cardinality($2::uuid[]) = 0 or b.item_id = any($2::uuid[]))
          and (cardinality($3::uuid[]) = 0 or b.location_id = any($3::uuid[]))`,
      [sheetId, itemIds, locationIds],
    );
  }

  /**
   * Every problem of the request's lines (`linesJson`), in one statement, as field errors; empty when all are
   * fine. stock_lines(): the line rules a count shares with every movement (db/functions/stock_lines.sql).
   */
  async lineProblems(linesJson: string, itemIds: string[], locationIds: string[]): Promise<FieldError[]> {
    const [{ errors }] = await this.tx.manager.query<[{ errors: FieldError[] }]>(
      `with r as (
         select s.*, (s.line ->> 'countedQty')::numeric as counted
           from stock_lines(current_setting('app.tenant_id')::uuid, $1::jsonb) s
       ), problems as (
         select idx, unnest(problems || array_remove(array[
           case when item_ok and cardinality($2::uuid[]) > 0 and not (item_id = any($2::uuid[]))
                then 'itemId|outside the scope of this count' end,
           case when location_ok and cardinality($3::uuid[]) > 0 and not (location_id = any($3::uuid[]))
                then 'locationId|outside the scope of this count' end,
           case when counted < 0 then 'countedQty|must not be negative' end
         ], null)) as problem from r
         union all
         select max(idx), '|the same item, location and lot appears earlier in this request' from r
          group by item_id, location_id, lot_code having count(*) > 1
       )
       select coalesce(jsonb_agg(jsonb_build_object(
                'field', case when split_part(problem, '|', 1) = '' then format('lines[%s]', idx)
                              else format('lines[%s].%s', idx, split_part(problem, '|', 1)) end,
                'message', split_part(problem, '|', 2)) order by idx, problem), '[]'::jsonb) as errors
         from problems`,
      [linesJson, itemIds, locationIds],
    );
    return errors;
  }

  /** Upserts the counted lines, each with the key's balance read in this same statement (system qty at entry). */
  async upsertCountedLines(sheetId: string, linesJson: string, countedBy: string | null): Promise<void> {
    await this.tx.manager.query(
      `${PARSED_LINES}
       insert into count_lines (tenant_id, sheet_id, item_id, location_id, lot_code, in_snapshot, expected_qty,
                                counted_qty, system_qty_at_entry, counted_at, counted_by)
       select current_setting('app.tenant_id')::uuid, $2, p.item_id, p.location_id, p.lot_code, false, 0,
              p.counted, coalesce(b.qty, 0), now(), $3
         from p
         left join lots lt on lt.tenant_id = current_setting('app.tenant_id')::uuid and lt.item_id = p.item_id
                          and lt.code = p.lot_code
         left join inventory_balances b
           on b.tenant_id = current_setting('app.tenant_id')::uuid and b.item_id = p.item_id
          and b.location_id = p.location_id
          and ((p.lot_code is null and b.lot_id is null) or b.lot_id = lt.id)
        order by p.item_id, p.location_id, p.lot_code
       on conflict on constraint count_lines_key do update
         set counted_qty = excluded.counted_qty, system_qty_at_entry = excluded.system_qty_at_entry,
             counted_at = excluded.counted_at, counted_by = excluded.counted_by`,
      [linesJson, sheetId, countedBy],
    );
  }

  /** Lines nobody counted become counted 0, against the balance of now. */
  async zeroUncountedLines(sheetId: string, countedBy: string | null): Promise<void> {
    await this.tx.manager.query(
      `update count_lines c set counted_qty = 0, system_qty_at_entry = coalesce((
           select b.qty from inventory_balances b
             left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
            where b.tenant_id = c.tenant_id and b.item_id = c.item_id and b.location_id = c.location_id
              and lt.code is not distinct from c.lot_code), 0),
           counted_at = now(), counted_by = $2
        where c.sheet_id = $1 and c.counted_qty is null`,
      [sheetId, countedBy],
    );
  }

  findVariances(sheetId: string): Promise<VarianceRow[]> {
    return this.tx.manager.query<VarianceRow[]>(
      `select item_id as "itemId", location_id as "locationId", lot_code as "lotCode",
              trim_scale(counted_qty - system_qty_at_entry)::text as qty
         from count_lines
        where sheet_id = $1 and counted_qty is not null and counted_qty <> system_qty_at_entry
        order by item_id, location_id, lot_code nulls first`,
      [sheetId],
    );
  }

  /** A count states what is physically there: its adjustment is exempt from the negative-stock rule (true). */
  async postAdjustment(
    actor: { id: string | null; kind: string },
    adjustment: AdjustmentInput,
  ): Promise<MovementView> {
    const [{ result }] = await this.tx.manager.query<[{ result: { body: MovementView } }]>(
      `select post_movement(current_setting('app.tenant_id')::uuid, $1, $2, null, null, $3::jsonb, null, true)
                as result`,
      [actor.id, actor.kind, JSON.stringify(adjustment)],
    );
    return result.body;
  }

  /** `stamp` comes from the transition table (count-state.ts), never from a request. */
  async setStatus(id: string, status: CountStatus, stamp: CountStamp, actor: string | null): Promise<void> {
    await this.tx.manager.query(
      `update count_sheets set status = $2, ${stamp}_at = now(), ${stamp}_by = $3 where id = $1`,
      [id, status, actor],
    );
  }

  async markPosted(id: string, actor: string | null, movementId: string | null): Promise<void> {
    await this.tx.manager.query(
      `update count_sheets set status = 'posted', posted_at = now(), posted_by = $2, movement_id = $3 where id = $1`,
      [id, actor, movementId],
    );
  }

  async insertOutboxEvent(type: EventType, payload: OutboxPayload): Promise<void> {
    await this.tx.manager.query(
      `insert into outbox_events (tenant_id, type, payload) values (current_setting('app.tenant_id')::uuid, $1, $2::jsonb)`,
      [type, JSON.stringify(payload)],
    );
  }
}
