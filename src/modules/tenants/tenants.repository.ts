import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { type PageQueryDto, keysetPage } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { TenantEntity, type TenantSettings, type TenantStatus } from './tenant.entity.js';

export interface NewTenantRow {
  id: string;
  name: string;
  slug: string;
  status: TenantStatus;
  settings: TenantSettings;
}

/** A PATCH: only the members present change. */
export type TenantChanges = Partial<Pick<NewTenantRow, 'name' | 'status' | 'settings'>>;

/**
 * The tenants table (global: no tenant_id, no row-level security). Most statements run in the caller's
 * transaction (TenantTransactions); the request-resolution lookups run on the app pool outside any transaction.
 */
@Injectable()
export class TenantsRepository {
  constructor(
    private readonly tx: TenantTransactions,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** `limit + 1` tenants after the cursor, for toPage. */
  list(query: PageQueryDto): Promise<TenantEntity[]> {
    return keysetPage(
      this.tx.manager.getRepository(TenantEntity).createQueryBuilder('tenant'),
      query,
    ).getMany();
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.tx.manager.getRepository(TenantEntity).findOneBy({ id });
  }

  /** TypeORM's EntityNotFoundError when there is no such tenant. */
  findByIdOrFail(id: string): Promise<TenantEntity> {
    return this.tx.manager.getRepository(TenantEntity).findOneByOrFail({ id });
  }

  /** FOR UPDATE: concurrent changes of one tenant wait for each other. */
  findByIdForUpdate(id: string): Promise<TenantEntity | null> {
    return this.tx.manager
      .getRepository(TenantEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async insert(tenant: NewTenantRow): Promise<void> {
    await this.tx.manager.insert(TenantEntity, { ...tenant, settings: jsonb(tenant.settings) });
  }

  async update(id: string, changes: TenantChanges): Promise<void> {
    const { settings, ...columns } = changes;
    await this.tx.manager.update(
      TenantEntity,
      { id },
      { ...columns, ...(settings !== undefined && { settings: jsonb(settings) }), updatedAt: () => 'now()' },
    );
  }

  /** Request resolution (TenantDirectory): on the app pool, never inside the caller's transaction. */
  lookUpById(id: string): Promise<TenantEntity | null> {
    return this.dataSource.getRepository(TenantEntity).findOneBy({ id });
  }

  /** Request resolution (TenantDirectory): on the app pool, never inside the caller's transaction. */
  lookUpBySlug(slug: string): Promise<TenantEntity | null> {
    return this.dataSource.getRepository(TenantEntity).findOneBy({ slug });
  }
}

/**
 * jsonb: in an object literal TypeORM's deep-partial typing rejects Record<string, unknown> (branding); through
 * this declared return type it accepts the settings.
 */
function jsonb(settings: TenantSettings): QueryDeepPartialEntity<TenantSettings> {
  return settings;
}
