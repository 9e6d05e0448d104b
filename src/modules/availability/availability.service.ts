import { Injectable } from '@nestjs/common';
import { pageFromRows } from '../../platform/http/pagination/keyset-sql.js';
import { type Page, type PageQueryDto, decodeKeyCursor } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type {
  AvailabilityView,
  ReorderPointView,
  ReplenishmentView,
  SetReorderPointDto,
} from './dto/availability.dto.js';
import { AvailabilityRepository } from './availability.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_CURSOR = [UUID, UUID];

/**
 * Available-to-promise and replenishment: reads over stock_availability() and the reorder points, whose
 * crossings the database records and announces (change_stock).
 */
@Injectable()
export class AvailabilityService {
  constructor(
    private readonly availability: AvailabilityRepository,
    private readonly context: TenantContext,
    private readonly tx: TenantTransactions,
  ) {}

  lookup(itemIds: string[], locationIds: string[] | undefined): Promise<{ data: AvailabilityView[] }> {
    return this.tx.run(async () => ({
      data: await this.availability.lookup(this.context.tenantId, itemIds, locationIds),
    }));
  }

  async setReorderPoint(
    itemId: string,
    locationId: string,
    input: SetReorderPointDto,
  ): Promise<ReorderPointView> {
    const view = await this.tx.run(() =>
      this.availability.setReorderPoint(this.context.tenantId, itemId, locationId, input),
    );
    if (!view) throw notFound(itemId, locationId);
    return view;
  }

  async removeReorderPoint(itemId: string, locationId: string): Promise<void> {
    const view = await this.tx.run(() =>
      this.availability.setReorderPoint(this.context.tenantId, itemId, locationId, null),
    );
    if (!view) throw notFound(itemId, locationId);
  }

  reorderPoints(query: PageQueryDto): Promise<Page<ReorderPointView>> {
    const after = decodeKeyCursor(query.cursor, KEY_CURSOR);
    return this.tx.run(async () => {
      const rows = await this.availability.reorderPoints(this.context.tenantId, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.itemId, row.locationId],
        (row) => row,
      );
    });
  }

  replenishment(query: PageQueryDto): Promise<Page<ReplenishmentView>> {
    const after = decodeKeyCursor(query.cursor, KEY_CURSOR);
    return this.tx.run(async () => {
      const rows = await this.availability.replenishment(this.context.tenantId, after, query.limit);
      return pageFromRows(
        rows,
        query.limit,
        (row) => [row.itemId, row.locationId],
        (row) => row,
      );
    });
  }
}

function notFound(itemId: string, locationId: string): DomainException {
  return new DomainException('not-found', `No item ${itemId} or no location ${locationId}`);
}
