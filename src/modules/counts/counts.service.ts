import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  type Page,
  type PageQueryDto,
  decodeCursor,
  encodeCursor,
} from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { MovementView } from '../inventory/index.js';
import type { CountLineInputDto, CountLineView, CountSheetView, CreateCountDto } from './dto/count.dto.js';

interface SheetRow {
  id: string;
  count_number: string;
  name: string | null;
  location_ids: string[];
  item_ids: string[];
  blind: boolean;
  status: string;
  created_at: Date;
  started_at: Date | null;
  submitted_at: Date | null;
  posted_at: Date | null;
  cancelled_at: Date | null;
  movement_id: string | null;
}

interface LineRow {
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

const iso = (value: Date | null) => value?.toISOString() ?? null;

/**
 * Physical counts (docs/counts.md). Variance = counted - the system quantity read in the same transaction as the
 * count, so stock that moves during the count is neither double-counted nor lost; approval posts the variances as
 * one adjustment through post_movement(), in the approval's transaction.
 */
@Injectable()
export class CountsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
  ) {}

  create(input: CreateCountDto): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const locationIds = input.locationIds ?? [];
      const itemIds = input.itemIds ?? [];
      await this.assertExist('locations', 'locationIds', locationIds);
      await this.assertExist('items', 'itemIds', itemIds);
      // The counter row's lock serialises creations per tenant; it commits or rolls back with the sheet: no gaps.
      const [{ value }] = await this.tx.manager.query<[{ value: string }]>(
        `insert into tenant_counters (tenant_id, name, value) values (current_setting('app.tenant_id')::uuid, 'count', 1)
         on conflict (tenant_id, name) do update set value = tenant_counters.value + 1 returning value::text`,
      );
      const id = randomUUID();
      await this.tx.manager.query(
        `insert into count_sheets (tenant_id, id, count_number, name, location_ids, item_ids, blind, status, created_by)
         values (current_setting('app.tenant_id')::uuid, $1, $2, $3, $4, $5, $6, 'draft', $7)`,
        [
          id,
          `CNT-${value.padStart(6, '0')}`,
          input.name ?? null,
          locationIds,
          itemIds,
          input.blind ?? false,
          this.actor(),
        ],
      );
      return this.get(id, false);
    });
  }

  list(query: PageQueryDto): Promise<Page<CountSheetView>> {
    const after = decodeCursor(query.cursor);
    return this.tx.run(async () => {
      const rows = await this.tx.manager.query<SheetRow[]>(
        `select * from count_sheets
          where ($1::timestamptz is null or (date_trunc('milliseconds', created_at), id) > ($1::timestamptz, $2::uuid))
          order by date_trunc('milliseconds', created_at), id limit $3`,
        [after?.createdAt ?? null, after?.id ?? null, query.limit + 1],
      );
      const more = rows.length > query.limit;
      const shown = more ? rows.slice(0, query.limit) : rows;
      const last = shown.at(-1);
      return {
        data: shown.map((row) => presentSheet(row)),
        nextCursor:
          more && last ? encodeCursor({ createdAt: last.created_at.toISOString(), id: last.id }) : null,
      };
    });
  }

  get(id: string, withLines = true): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.find(id);
      const view = presentSheet(sheet);
      if (!withLines) return view;
      const lines = await this.tx.manager.query<LineRow[]>(
        `select item_id, location_id, lot_code, in_snapshot, trim_scale(expected_qty)::text as expected_qty,
                trim_scale(counted_qty)::text as counted_qty, trim_scale(system_qty_at_entry)::text as system_qty_at_entry,
                trim_scale(counted_qty - system_qty_at_entry)::text as variance, counted_at
           from count_lines where sheet_id = $1 order by item_id, location_id, lot_code nulls first`,
        [id],
      );
      const hideExpected = sheet.blind && !this.context.permissions.has('counts:approve');
      return { ...view, lines: lines.map((line) => presentLine(line, hideExpected)) };
    });
  }

  /** draft -> in_progress: snapshots the expected quantity of every balance key in scope. */
  start(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.transition(id, ['draft'], 'in_progress', 'started');
      await this.tx.manager.query(
        `insert into count_lines (tenant_id, sheet_id, item_id, location_id, lot_code, in_snapshot, expected_qty)
         select b.tenant_id, $1, b.item_id, b.location_id, lt.code, true, b.qty
           from inventory_balances b
           left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
          where (cardinality($2::uuid[]) = 0 or b.item_id = any($2::uuid[]))
            and (cardinality($3::uuid[]) = 0 or b.location_id = any($3::uuid[]))`,
        [id, sheet.item_ids, sheet.location_ids],
      );
      await this.event('count.started', sheet);
      return this.get(id);
    });
  }

  /** Upserts counted lines (in_progress only), each with the system quantity read now, in this transaction. */
  putLines(id: string, lines: CountLineInputDto[]): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.find(id, true);
      if (sheet.status !== 'in_progress') {
        throw illegalState(sheet, 'lines can be entered only while the count is in progress');
      }
      const input = JSON.stringify(lines);
      const parsed = `
        with input as (
          select (e.ord - 1)::integer as idx, e.line from jsonb_array_elements($1::jsonb) with ordinality as e (line, ord)
        ), p as (
          select idx, (line ->> 'itemId')::uuid as item_id, (line ->> 'locationId')::uuid as location_id,
                 nullif(btrim(line ->> 'lotCode'), '') as lot_code, (line ->> 'countedQty')::numeric as counted
            from input
        )`;
      const [{ errors }] = await this.tx.manager.query<[{ errors: { field: string; message: string }[] }]>(
        // stock_lines(): the line rules a count shares with every movement (db/functions/stock_lines.sql).
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
        [input, sheet.item_ids, sheet.location_ids],
      );
      if (errors.length > 0) throw new ValidationFailedException(errors);
      await this.tx.manager.query(
        `${parsed}
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
        [input, id, this.actor()],
      );
      return this.get(id);
    });
  }

  submit(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.transition(id, ['in_progress'], 'submitted', 'submitted');
      await this.event('count.submitted', sheet);
      return this.get(id);
    });
  }

  cancel(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      await this.transition(id, ['draft', 'in_progress', 'submitted'], 'cancelled', 'cancelled');
      return this.get(id);
    });
  }

  /**
   * submitted -> posted, once: posts one adjustment with a line per non-zero variance (reference = the count
   * number) in this transaction; a second or concurrent approval waits for the sheet's lock and gets 409.
   */
  approve(
    id: string,
    zeroUncounted: boolean,
  ): Promise<{ sheet: CountSheetView; movement: MovementView | null }> {
    return this.tx.run(async () => {
      const sheet = await this.find(id, true);
      if (sheet.status !== 'submitted') throw illegalState(sheet, 'only a submitted count can be approved');
      if (zeroUncounted) {
        await this.tx.manager.query(
          `update count_lines c set counted_qty = 0, system_qty_at_entry = coalesce((
               select b.qty from inventory_balances b
                 left join lots lt on lt.tenant_id = b.tenant_id and lt.id = b.lot_id
                where b.tenant_id = c.tenant_id and b.item_id = c.item_id and b.location_id = c.location_id
                  and lt.code is not distinct from c.lot_code), 0),
               counted_at = now(), counted_by = $2
            where c.sheet_id = $1 and c.counted_qty is null`,
          [id, this.actor()],
        );
      }
      const lines = await this.tx.manager.query<
        { itemId: string; locationId: string; lotCode: string | null; qty: string }[]
      >(
        `select item_id as "itemId", location_id as "locationId", lot_code as "lotCode",
                trim_scale(counted_qty - system_qty_at_entry)::text as qty
           from count_lines
          where sheet_id = $1 and counted_qty is not null and counted_qty <> system_qty_at_entry
          order by item_id, location_id, lot_code nulls first`,
        [id],
      );
      let movement: MovementView | null = null;
      if (lines.length > 0) {
        const actor = this.context.actor;
        // A count states what is physically there: its adjustment is exempt from the negative-stock rule (true).
        const [{ result }] = await this.tx.manager.query<[{ result: { body: MovementView } }]>(
          `select post_movement(current_setting('app.tenant_id')::uuid, $1, $2, null, null, $3::jsonb, null, true)
                    as result`,
          [
            actor.id,
            actor.kind,
            JSON.stringify({
              type: 'adjustment',
              reference: sheet.count_number,
              lines: lines.map(({ lotCode, ...line }) => ({ ...line, ...(lotCode !== null && { lotCode }) })),
            }),
          ],
        );
        movement = result.body;
      }
      await this.tx.manager.query(
        `update count_sheets set status = 'posted', posted_at = now(), posted_by = $2, movement_id = $3 where id = $1`,
        [id, this.actor(), movement?.id ?? null],
      );
      await this.event('count.posted', { ...sheet, movement_id: movement?.id ?? null });
      return { sheet: await this.get(id), movement };
    });
  }

  private async transition(id: string, from: string[], to: string, stamp: string): Promise<SheetRow> {
    const sheet = await this.find(id, true);
    if (!from.includes(sheet.status)) {
      throw illegalState(sheet, `a count in status ${sheet.status} cannot become ${to}`);
    }
    await this.tx.manager.query(
      `update count_sheets set status = $2, ${stamp}_at = now(), ${stamp}_by = $3 where id = $1`,
      [id, to, this.actor()],
    );
    return { ...sheet, status: to };
  }

  private async find(id: string, lock = false): Promise<SheetRow> {
    const [sheet] = await this.tx.manager.query<SheetRow[]>(
      `select * from count_sheets where id = $1 ${lock ? 'for update' : ''}`,
      [id],
    );
    if (!sheet) throw new DomainException(404, 'not-found', 'Not found', `No count ${id}`);
    return sheet;
  }

  private async assertExist(table: 'items' | 'locations', field: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const rows = await this.tx.manager.query<{ id: string }[]>(
      `select id from ${table} where id = any($1::uuid[])`,
      [ids],
    );
    const found = new Set(rows.map((row) => row.id));
    const missing = ids.map((id, index) => ({ id, index })).filter(({ id }) => !found.has(id));
    if (missing.length > 0) {
      throw new ValidationFailedException(
        missing.map(({ index }) => ({
          field: `${field}[${index}]`,
          message: `unknown ${table === 'items' ? 'item' : 'location'}`,
        })),
      );
    }
  }

  private async event(type: string, sheet: SheetRow): Promise<void> {
    await this.tx.manager.query(
      `insert into outbox_events (tenant_id, type, payload) values (current_setting('app.tenant_id')::uuid, $1, $2::jsonb)`,
      [
        type,
        JSON.stringify({
          id: sheet.id,
          countNumber: sheet.count_number,
          status: sheet.status,
          movementId: sheet.movement_id,
        }),
      ],
    );
  }

  private actor(): string | null {
    return this.context.actor.id;
  }
}

function illegalState(sheet: SheetRow, detail: string): DomainException {
  return new DomainException(409, 'illegal-transition', 'Illegal state transition', detail, {
    currentStatus: sheet.status,
  });
}

function presentSheet(row: SheetRow): CountSheetView {
  return {
    id: row.id,
    countNumber: row.count_number,
    name: row.name,
    locationIds: row.location_ids,
    itemIds: row.item_ids,
    blind: row.blind,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    startedAt: iso(row.started_at),
    submittedAt: iso(row.submitted_at),
    postedAt: iso(row.posted_at),
    cancelledAt: iso(row.cancelled_at),
    movementId: row.movement_id,
  };
}

function presentLine(row: LineRow, hideExpected: boolean): CountLineView {
  return {
    itemId: row.item_id,
    locationId: row.location_id,
    lotCode: row.lot_code,
    inSnapshot: row.in_snapshot,
    countedQty: row.counted_qty,
    countedAt: iso(row.counted_at),
    ...(!hideExpected && {
      expectedQty: row.expected_qty,
      systemQtyAtEntry: row.system_qty_at_entry,
      variance: row.variance,
    }),
  };
}
