import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, keysetPage, toPage } from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { canonicalQuantity } from '../../platform/http/validation/quantity.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { OutboxService } from '../../platform/outbox/outbox.service.js';
import type { CreateItemDto, ItemQueryDto, ItemUomDto, ItemView, UpdateItemDto } from './dto/item.dto.js';
import { ItemEntity, ItemUomEntity } from './item.entity.js';

export class ItemNotFoundException extends DomainException {
  constructor(id: string) {
    super(404, 'not-found', 'Not found', `No item ${id}`);
  }
}

/** Escapes LIKE wildcards so a search for "50%" finds "50%", not everything. */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

@Injectable()
export class ItemsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly outbox: OutboxService,
  ) {}

  list(query: ItemQueryDto): Promise<Page<ItemView>> {
    return this.tx.run(async () => {
      const builder = keysetPage(this.tx.manager.getRepository(ItemEntity).createQueryBuilder('item'), query);
      builder.andWhere(query.archived ? 'item.archivedAt IS NOT NULL' : 'item.archivedAt IS NULL');
      if (query.search) {
        builder.andWhere('(item.sku ILIKE :pattern OR item.name ILIKE :pattern)', {
          pattern: likePattern(query.search),
        });
      }
      const items = await builder.getMany();
      const uoms = await this.uomsOf(items.map((item) => item.id));
      return toPage(items, query.limit, (item) => present(item, uoms.get(item.id) ?? []));
    });
  }

  get(id: string): Promise<ItemView> {
    return this.tx.run(async () => {
      const item = await this.find(id);
      return present(item, (await this.uomsOf([id])).get(id) ?? []);
    });
  }

  create(input: CreateItemDto): Promise<ItemView> {
    assertUoms(input.baseUom, input.uoms ?? []);
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.tx.manager.insert(ItemEntity, {
        id,
        sku: input.sku.trim(),
        name: input.name.trim(),
        description: input.description ?? null,
        baseUom: input.baseUom,
        lotTracked: input.lotTracked ?? false,
        negativeStock: input.negativeStock ?? null,
      });
      await this.replaceUoms(id, input.uoms ?? []);
      const item = await this.get(id);
      await this.outbox.record('item.created', { ...item });
      return item;
    });
  }

  update(id: string, input: UpdateItemDto): Promise<ItemView> {
    return this.tx.run(async () => {
      const item = await this.find(id, true);
      const baseUom = input.baseUom ?? item.baseUom;
      if (input.uoms || input.baseUom) {
        assertUoms(baseUom, input.uoms ?? (await this.uomsOf([id])).get(id) ?? []);
      }
      const changesStockMeaning =
        (input.baseUom !== undefined && input.baseUom !== item.baseUom) ||
        (input.lotTracked !== undefined && input.lotTracked !== item.lotTracked);
      if (changesStockMeaning && (await this.hasStockHistory(id))) {
        throw new DomainException(
          409,
          'item-has-history',
          'Item has stock history',
          'baseUom and lotTracked cannot change once the item has ledger entries',
        );
      }
      await this.tx.manager.update(
        ItemEntity,
        { id },
        {
          ...(input.sku !== undefined && { sku: input.sku.trim() }),
          ...(input.name !== undefined && { name: input.name.trim() }),
          ...(input.description !== undefined && { description: input.description }),
          ...(input.baseUom !== undefined && { baseUom: input.baseUom }),
          ...(input.lotTracked !== undefined && { lotTracked: input.lotTracked }),
          ...(input.negativeStock !== undefined && { negativeStock: input.negativeStock }),
          updatedAt: () => 'now()',
        },
      );
      if (input.uoms) await this.replaceUoms(id, input.uoms);
      const updated = await this.get(id);
      await this.outbox.record('item.updated', { ...updated });
      return updated;
    });
  }

  /** An item with stock history is archived (never removed); one without is deleted. Idempotent for archived. */
  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      const item = await this.find(id, true);
      const archived = await this.hasStockHistory(id);
      if (archived) {
        if (item.archivedAt) return;
        await this.tx.manager.update(
          ItemEntity,
          { id },
          { archivedAt: () => 'now()', updatedAt: () => 'now()' },
        );
      } else {
        await this.tx.manager.delete(ItemEntity, { id });
      }
      await this.outbox.record('item.deleted', { id, sku: item.sku, archived });
    });
  }

  private async hasStockHistory(itemId: string): Promise<boolean> {
    const rows = await this.tx.manager.query<unknown[]>(
      `select 1 from inventory_ledger where tenant_id = current_setting('app.tenant_id')::uuid and item_id = $1 limit 1`,
      [itemId],
    );
    return rows.length > 0;
  }

  private async find(id: string, lock = false): Promise<ItemEntity> {
    const item = await this.tx.manager.getRepository(ItemEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!item) throw new ItemNotFoundException(id);
    return item;
  }

  private async replaceUoms(itemId: string, uoms: ItemUomDto[]): Promise<void> {
    await this.tx.manager.delete(ItemUomEntity, { itemId });
    if (uoms.length > 0) {
      await this.tx.manager.insert(
        ItemUomEntity,
        uoms.map((uom) => ({ itemId, code: uom.code, factor: uom.factor })),
      );
    }
  }

  private async uomsOf(itemIds: string[]): Promise<Map<string, ItemUomDto[]>> {
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

function assertUoms(baseUom: string, uoms: ItemUomDto[]): void {
  const errors = uoms.flatMap((uom, index) => {
    const problems: { field: string; message: string }[] = [];
    if (uom.code === baseUom)
      problems.push({ field: `uoms[${index}].code`, message: 'the base unit needs no conversion' });
    if (uoms.findIndex((other) => other.code === uom.code) !== index)
      problems.push({ field: `uoms[${index}].code`, message: 'duplicate unit code' });
    if (!/[1-9]/.test(uom.factor) || uom.factor.startsWith('-'))
      problems.push({ field: `uoms[${index}].factor`, message: 'factor must be greater than zero' });
    return problems;
  });
  if (errors.length > 0) throw new ValidationFailedException(errors);
}

function present(item: ItemEntity, uoms: ItemUomDto[]): ItemView {
  return {
    id: item.id,
    sku: item.sku,
    name: item.name,
    description: item.description,
    baseUom: item.baseUom,
    uoms,
    lotTracked: item.lotTracked,
    negativeStock: item.negativeStock,
    archived: item.archivedAt !== null,
    archivedAt: item.archivedAt?.toISOString() ?? null,
    createdAt: item.createdAt.toISOString(),
    updatedAt: item.updatedAt.toISOString(),
  };
}
