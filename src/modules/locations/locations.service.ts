import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, keysetPage, toPage } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { likePattern } from '../items/index.js';
import { OutboxService } from '../../platform/outbox/outbox.service.js';
import type {
  CreateLocationDto,
  LocationQueryDto,
  LocationView,
  UpdateLocationDto,
} from './dto/location.dto.js';
import { LocationEntity } from './location.entity.js';

@Injectable()
export class LocationsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly outbox: OutboxService,
  ) {}

  list(query: LocationQueryDto): Promise<Page<LocationView>> {
    return this.tx.run(async () => {
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
      return toPage(await builder.getMany(), query.limit, present);
    });
  }

  get(id: string): Promise<LocationView> {
    return this.tx.run(async () => present(await this.find(id)));
  }

  create(input: CreateLocationDto): Promise<LocationView> {
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.tx.manager.insert(LocationEntity, {
        id,
        site: input.site.trim(),
        name: input.name.trim(),
        code: input.code?.trim() ?? null,
        type: input.type?.trim() ?? null,
      });
      const location = await this.get(id);
      await this.outbox.record('location.created', { ...location });
      return location;
    });
  }

  update(id: string, input: UpdateLocationDto): Promise<LocationView> {
    return this.tx.run(async () => {
      await this.find(id, true);
      await this.tx.manager.update(
        LocationEntity,
        { id },
        {
          ...(input.site !== undefined && { site: input.site.trim() }),
          ...(input.name !== undefined && { name: input.name.trim() }),
          ...(input.code !== undefined && { code: input.code?.trim() ?? null }),
          ...(input.type !== undefined && { type: input.type?.trim() ?? null }),
          updatedAt: () => 'now()',
        },
      );
      const location = await this.get(id);
      await this.outbox.record('location.updated', { ...location });
      return location;
    });
  }

  /** A location with stock history is archived (never removed); one without is deleted. */
  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      const location = await this.find(id, true);
      const rows = await this.tx.manager.query<unknown[]>(
        `select 1 from inventory_ledger where tenant_id = current_setting('app.tenant_id')::uuid and location_id = $1 limit 1`,
        [id],
      );
      const archived = rows.length > 0;
      if (archived) {
        if (location.archivedAt) return;
        await this.tx.manager.update(
          LocationEntity,
          { id },
          { archivedAt: () => 'now()', updatedAt: () => 'now()' },
        );
      } else {
        await this.tx.manager.delete(LocationEntity, { id });
      }
      await this.outbox.record('location.deleted', {
        id,
        site: location.site,
        name: location.name,
        archived,
      });
    });
  }

  private async find(id: string, lock = false): Promise<LocationEntity> {
    const location = await this.tx.manager.getRepository(LocationEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!location) throw new DomainException(404, 'not-found', 'Not found', `No location ${id}`);
    return location;
  }
}

function present(location: LocationEntity): LocationView {
  return {
    id: location.id,
    site: location.site,
    name: location.name,
    code: location.code,
    type: location.type,
    archived: location.archivedAt !== null,
    archivedAt: location.archivedAt?.toISOString() ?? null,
    createdAt: location.createdAt.toISOString(),
    updatedAt: location.updatedAt.toISOString(),
  };
}
