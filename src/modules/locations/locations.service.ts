import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, toPage } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { OutboxService } from '../../platform/outbox/outbox.service.js';
import type {
  CreateLocationDto,
  LocationQueryDto,
  LocationView,
  UpdateLocationDto,
} from './dto/location.dto.js';
import type { LocationEntity } from './location.entity.js';
import { LocationsRepository } from './locations.repository.js';

@Injectable()
export class LocationsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly outbox: OutboxService,
    private readonly repository: LocationsRepository,
  ) {}

  list(query: LocationQueryDto): Promise<Page<LocationView>> {
    return this.tx.run(async () => toPage(await this.repository.list(query), query.limit, present));
  }

  get(id: string): Promise<LocationView> {
    return this.tx.run(async () => present(await this.find(id)));
  }

  create(input: CreateLocationDto): Promise<LocationView> {
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.repository.insert({
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
      await this.repository.update(id, {
        ...(input.site !== undefined && { site: input.site.trim() }),
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.code !== undefined && { code: input.code?.trim() ?? null }),
        ...(input.type !== undefined && { type: input.type?.trim() ?? null }),
      });
      const location = await this.get(id);
      await this.outbox.record('location.updated', { ...location });
      return location;
    });
  }

  /** A location with stock history is archived (never removed); one without is deleted. */
  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      const location = await this.find(id, true);
      const archived = await this.repository.hasStockHistory(id);
      if (archived) {
        if (location.archivedAt) return;
        await this.repository.archive(id);
      } else {
        await this.repository.delete(id);
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
    const location = await this.repository.findById(id, lock);
    if (!location) throw new DomainException('not-found', `No location ${id}`);
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
