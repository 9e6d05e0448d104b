import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../platform/http/pagination/pagination.js';
import { canonicalQuantity } from '../../platform/http/validation/quantity.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { ItemQueryDto, ItemUomDto } from './dto/item.dto.js';
import { ItemEntity, ItemUomEntity } from './item.entity.js';

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export interface NewItem {
  id: string;
  sku: string;
  name: string;
  description: string | null;
  baseUom: string;
  lotTracked: boolean;
  negativeStock: 'deny' | 'allow' | null;
}

/** A PATCH: only the members present change. */
export type ItemChanges = Partial<Omit<NewItem, 'id'>>;

/** Items and their units, in the caller's tenant transaction (row-level security scopes every statement). */
@Injectable()
export class ItemsRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** `limit + 1` items after the cursor (active or archived ones, matching the search), for toPage. */
  list(query: ItemQueryDto): Promise<ItemEntity[]> {
    const builder = keysetPage(this.tx.manager.getRepository(ItemEntity).createQueryBuilder('item'), query);
    builder.andWhere(query.archived ? 'item.archivedAt IS NOT NULL' : 'item.archivedAt IS NULL');
    if (query.search) {
      builder.andWhere('(item.sku ILIKE :pattern OR item.name ILIKE :pattern)', {
        pattern: likePattern(query.search),
      });
    }
    return builder.getMany();
  }

  /** `lock`: FOR UPDATE, so concurrent changes of one item wait for each other. */
  findById(id: string, lock = false): Promise<ItemEntity | null> {
    return this.tx.manager.getRepository(ItemEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
  }

  /** Whether the ledger has any entry for the item. */
  async hasStockHistory(itemId: string): Promise<boolean> {
    const rows = await this.tx.manager.query<unknown[]>(
      `select 1 from inventory_ledger where tenant_id = current_setting('app.tenant_id')::uuid and item_id = $1 limit 1`,
      [itemId],
    );
    return rows.length > 0;
  }

  async insert(item: NewItem): Promise<void> {
    await this.tx.manager.insert(ItemEntity, item);
  }

  async update(id: string, changes: ItemChanges): Promise<void> {
    await this.tx.manager.update(ItemEntity, { id }, { ...changes, updatedAt: () => 'now()' });
  }

  async archive(id: string): Promise<void> {
    await this.tx.manager.update(ItemEntity, { id }, { archivedAt: () => 'now()', updatedAt: () => 'now()' });
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(ItemEntity, { id });
  }

  async deleteUoms(itemId: string): Promise<void> {
    await this.tx.manager.delete(ItemUomEntity, { itemId });
  }

  /** No statement for an empty list. */
  async insertUoms(itemId: string, uoms: ItemUomDto[]): Promise<void> {
    if (uoms.length === 0) return;
    await this.tx.manager.insert(
      ItemUomEntity,
      uoms.map((uom) => ({ itemId, code: uom.code, factor: uom.factor })),
    );
  }

  /** The units of each item by code, factors as canonical decimal strings; no statement for an empty list. */
  async uomsOf(itemIds: string[]): Promise<Map<string, ItemUomDto[]>> {
    const result = new Map<string, ItemUomDto[]>();
    if (itemIds.length === 0) return result;
    const rows = await this.tx.manager
      .getRepository(ItemUomEntity)
      .createQueryBuilder('uom')
      .where('uom.itemId IN (:...itemIds)', { itemIds })
      .orderBy('uom.code')
      .getMany();
    for (const row of rows) {
      result.set(row.itemId, [
        ...(result.get(row.itemId) ?? []),
        { code: row.code, factor: canonicalQuantity(row.factor) },
      ]);
    }
    return result;
  }
}
