import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { type Page, type PageQueryDto, decodeCursor } from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { EventType } from '../../platform/outbox/event-types.js';
import type { MovementView } from '../inventory/index.js';
import { type CountAction, assertLinesOpen, legalTransition } from './count-state.js';
import { CountsRepository, type SheetRow } from './counts.repository.js';
import { presentEvent, presentSheet, presentSheetWithLines, sheetCursorKey } from './counts.presenter.js';
import type { CountLineInputDto, CountSheetView, CreateCountDto } from './dto/count.dto.js';

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
    private readonly counts: CountsRepository,
  ) {}

  create(input: CreateCountDto): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const locationIds = input.locationIds ?? [];
      const itemIds = input.itemIds ?? [];
      await this.assertExist('locations', 'locationIds', locationIds);
      await this.assertExist('items', 'itemIds', itemIds);
      const value = await this.counts.nextCountValue();
      const id = randomUUID();
      await this.counts.insertSheet({
        id,
        countNumber: `CNT-${value.padStart(6, '0')}`,
        name: input.name ?? null,
        locationIds,
        itemIds,
        blind: input.blind ?? false,
        createdBy: this.actor(),
      });
      return this.get(id, false);
    });
  }

  list(query: PageQueryDto): Promise<Page<CountSheetView>> {
    const after = decodeCursor(query.cursor);
    return this.tx.run(async () => {
      const rows = await this.counts.listSheets(after && [after.createdAt, after.id], query.limit);
      return pageFromRows(rows, query.limit, sheetCursorKey, presentSheet);
    });
  }

  get(id: string, withLines = true): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.find(id);
      if (!withLines) return presentSheet(sheet);
      const lines = await this.counts.findLines(id);
      return presentSheetWithLines(sheet, lines, this.context.permissions.has('counts:approve'));
    });
  }

  /** draft -> in_progress: snapshots the expected quantity of every balance key in scope. */
  start(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.transition(id, 'start');
      await this.counts.insertSnapshotLines(id, sheet.item_ids, sheet.location_ids);
      await this.event('count.started', sheet);
      return this.get(id);
    });
  }

  /** Upserts counted lines (in_progress only), each with the system quantity read now, in this transaction. */
  putLines(id: string, lines: CountLineInputDto[]): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.find(id, true);
      assertLinesOpen(sheet.status);
      const input = JSON.stringify(lines);
      // All bad lines in one 400, and nothing written then.
      const errors = await this.counts.lineProblems(input, sheet.item_ids, sheet.location_ids);
      if (errors.length > 0) throw new ValidationFailedException(errors);
      await this.counts.upsertCountedLines(id, input, this.actor());
      return this.get(id);
    });
  }

  submit(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      const sheet = await this.transition(id, 'submit');
      await this.event('count.submitted', sheet);
      return this.get(id);
    });
  }

  cancel(id: string): Promise<CountSheetView> {
    return this.tx.run(async () => {
      await this.transition(id, 'cancel');
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
      legalTransition('approve', sheet.status);
      if (zeroUncounted) await this.counts.zeroUncountedLines(id, this.actor());
      const lines = await this.counts.findVariances(id);
      let movement: MovementView | null = null;
      if (lines.length > 0) {
        movement = await this.counts.postAdjustment(this.context.actor, {
          type: 'adjustment',
          reference: sheet.count_number,
          lines: lines.map(({ lotCode, ...line }) => ({ ...line, ...(lotCode !== null && { lotCode }) })),
        });
      }
      await this.counts.markPosted(id, this.actor(), movement?.id ?? null);
      await this.event('count.posted', { ...sheet, movement_id: movement?.id ?? null });
      return { sheet: await this.get(id), movement };
    });
  }

  /** Locks the sheet, checks the transition against count-state.ts and records it (when and who). */
  private async transition(id: string, action: CountAction): Promise<SheetRow> {
    const sheet = await this.find(id, true);
    const { to, stamp } = legalTransition(action, sheet.status);
    await this.counts.setStatus(id, to, stamp, this.actor());
    return { ...sheet, status: to };
  }

  private async find(id: string, lock = false): Promise<SheetRow> {
    const sheet = lock ? await this.counts.lockSheet(id) : await this.counts.findSheet(id);
    if (!sheet) throw new DomainException('not-found', `No count ${id}`);
    return sheet;
  }

  /** Unknown scope ids are a 400 at creation, each named by its position. */
  private async assertExist(table: 'items' | 'locations', field: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    const existing =
      table === 'items' ? await this.counts.existingItemIds(ids) : await this.counts.existingLocationIds(ids);
    const found = new Set(existing);
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

  private event(type: EventType, sheet: SheetRow): Promise<void> {
    return this.counts.insertOutboxEvent(type, presentEvent(sheet));
  }

  private actor(): string | null {
    return this.context.actor.id;
  }
}
