import { Injectable } from '@nestjs/common';
import { keysetPage } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { likePattern } from '../items/index.js';
import type { LocationQueryDto } from './dto/location.dto.js';
import { LocationEntity } from './location.entity.js';

export interface NewLocation {
  id: string;
  site: string;
  name: string;
  code: string | null;
  type: string | null;
}

/** A PATCH: only the members present change. */
export type LocationChanges = Partial<Omit<NewLocation, 'id'>>;

/** Locations, in the caller's tenant transaction (row-level security scopes every statement). */
@Injectable()
export class LocationsRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** `limit + 1` locations after the cursor (active or archived ones, matching the search), for toPage. */
  list(query: LocationQueryDto): Promise<LocationEntity[]> {
    const builder = keysetPage(
      this.tx.manager.getRepository(LocationEntity).createQueryBuilder('location'),
      query,
    );
    builder.andWhere(query.archived ? 'location.archivedAt IS NOT NULL' : 'location.archivedAt IS NULL');
    if (query.search) {
      builder.andWhere(
        '(location.site ILIKE :pattern OR location.name ILIKE :pattern OR location.code ILIKE :pattern)',
        { pattern: likePattern(query.search) },
      );
    }
    return builder.getMany();
  }

  /** `lock`: FOR UPDATE, so concurrent changes of one location wait for each other. */
  findById(id: string, lock = false): Promise<LocationEntity | null> {
    return this.tx.manager.getRepository(LocationEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
  }

  /** Whether the ledger has any entry for the location. */
  async hasStockHistory(locationId: string): Promise<boolean> {
    const rows = await this.tx.manager.query<unknown[]>(
      `select 1 from inventory_ledger where tenant_id = current_setting('app.tenant_id')::uuid and location_id = $1 limit 1`,
      [locationId],
    );
    return rows.length > 0;
  }

  async insert(location: NewLocation): Promise<void> {
    await this.tx.manager.insert(LocationEntity, location);
  }

  async update(id: string, changes: LocationChanges): Promise<void> {
    await this.tx.manager.update(LocationEntity, { id }, { ...changes, updatedAt: () => 'now()' });
  }

  async archive(id: string): Promise<void> {
    await this.tx.manager.update(
      LocationEntity,
      { id },
      { archivedAt: () => 'now()', updatedAt: () => 'now()' },
    );
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(LocationEntity, { id });
  }
}
