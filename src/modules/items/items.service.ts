import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, toPage } from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { OutboxService } from '../../platform/outbox/outbox.service.js';
import type { CreateItemDto, ItemQueryDto, ItemUomDto, ItemView, UpdateItemDto } from './dto/item.dto.js';
import type { ItemEntity } from './item.entity.js';
import { ItemsRepository } from './items.repository.js';

export class ItemNotFoundException extends DomainException {
  constructor(id: string) {
    super('not-found', `No item ${id}`);
  }
}

@Injectable()
export class ItemsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly outbox: OutboxService,
    private readonly repository: ItemsRepository,
  ) {}

  list(query: ItemQueryDto): Promise<Page<ItemView>> {
    return this.tx.run(async () => {
      const items = await this.repository.list(query);
      const uoms = await this.repository.uomsOf(items.map((item) => item.id));
      return toPage(items, query.limit, (item) => present(item, uoms.get(item.id) ?? []));
    });
  }

  get(id: string): Promise<ItemView> {
    return this.tx.run(async () => {
      const item = await this.find(id);
      return present(item, (await this.repository.uomsOf([id])).get(id) ?? []);
    });
  }

  create(input: CreateItemDto): Promise<ItemView> {
    assertUoms(input.baseUom, input.uoms ?? []);
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.repository.insert({
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
        assertUoms(baseUom, input.uoms ?? (await this.repository.uomsOf([id])).get(id) ?? []);
      }
      const changesStockMeaning =
        (input.baseUom !== undefined && input.baseUom !== item.baseUom) ||
        (input.lotTracked !== undefined && input.lotTracked !== item.lotTracked);
      if (changesStockMeaning && (await this.repository.hasStockHistory(id))) {
        throw new DomainException(
          'item-has-history',
          'baseUom and lotTracked cannot change once the item has ledger entries',
        );
      }
      await this.repository.update(id, {
        ...(input.sku !== undefined && { sku: input.sku.trim() }),
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.baseUom !== undefined && { baseUom: input.baseUom }),
        ...(input.lotTracked !== undefined && { lotTracked: input.lotTracked }),
        ...(input.negativeStock !== undefined && { negativeStock: input.negativeStock }),
      });
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
      const archived = await this.repository.hasStockHistory(id);
      if (archived) {
        if (item.archivedAt) return;
        await this.repository.archive(id);
      } else {
        await this.repository.delete(id);
      }
      await this.outbox.record('item.deleted', { id, sku: item.sku, archived });
    });
  }

  private async find(id: string, lock = false): Promise<ItemEntity> {
    const item = await this.repository.findById(id, lock);
    if (!item) throw new ItemNotFoundException(id);
    return item;
  }

  private async replaceUoms(itemId: string, uoms: ItemUomDto[]): Promise<void> {
    await this.repository.deleteUoms(itemId);
    await this.repository.insertUoms(itemId, uoms);
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
