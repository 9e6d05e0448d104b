import { Injectable } from '@nestjs/common';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import {
  type Page,
  type PageQueryDto,
  decodeCursor,
  decodeKeyCursor,
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
import { InventoryRepository } from './inventory.repository.js';

/** The shapes of the cursors this API issues: a cursor we did not issue is a 400 (decodeKeyCursor). */
const BIGINT_ID = /^\d{1,19}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function createdAtCursor(cursor: string | undefined): string[] | undefined {
  const after = decodeCursor(cursor);
  return after && [after.createdAt, after.id];
}

/** Reads of the inventory, in the request's tenant transaction (row-level security scopes every query). */
@Injectable()
export class InventoryQueries {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly inventory: InventoryRepository,
  ) {}

  async movement(id: string): Promise<MovementView> {
    const document = await this.tx.run(() => this.inventory.movementDocument(id));
    if (!document) throw new DomainException('not-found', `No movement ${id}`);
    return document;
  }

  movements(query: MovementQueryDto): Promise<Page<MovementView>> {
    const after = createdAtCursor(query.cursor);
    return this.tx.run(async () => {
      const rows = await this.inventory.movements(query, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (movement) => [movement.createdAt, movement.id],
        (movement) => movement,
      );
    });
  }

  ledger(query: LedgerQueryDto): Promise<Page<LedgerEntryView>> {
    const after = decodeKeyCursor(query.cursor, [BIGINT_ID]);
    return this.tx.run(async () => {
      const rows = await this.inventory.ledger(query, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (entry) => [entry.id],
        (entry) => entry,
      );
    });
  }

  balances(query: BalanceQueryDto): Promise<Page<BalanceView>> {
    return query.asOf ? this.balancesAsOf(query, query.asOf) : this.currentBalances(query);
  }

  private currentBalances(query: BalanceQueryDto): Promise<Page<BalanceView>> {
    const after = decodeKeyCursor(query.cursor, [BIGINT_ID]);
    return this.tx.run(async () => {
      const rows = await this.inventory.currentBalances(query, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.id],
        ({ id: _id, ...balance }) => balance,
      );
    });
  }

  /** Balances at a past moment, summed from the ledger, in (item, location, lot) order. */
  private balancesAsOf(query: BalanceQueryDto, asOf: string): Promise<Page<BalanceView>> {
    const after = decodeKeyCursor(query.cursor, [UUID, UUID, UUID]);
    return this.tx.run(async () => {
      const rows = await this.inventory.balancesAsOf(query, asOf, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.itemId, row.locationId, row.lotKey],
        ({ lotKey: _lotKey, ...balance }) => balance,
      );
    });
  }

  /** On hand per active item, with its quantity per location (lots summed). */
  onHand(query: PageQueryDto): Promise<Page<OnHandView>> {
    const after = createdAtCursor(query.cursor);
    return this.tx.run(async () => {
      const rows = await this.inventory.onHand(after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.cursorAt, row.itemId],
        ({ cursorAt: _cursorAt, ...summary }) => summary,
      );
    });
  }
}
