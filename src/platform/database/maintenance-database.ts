import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from './database.constants.js';
import { enterTenant } from './session-settings.js';

export interface TenantRef {
  id: string;
  slug: string;
}

/**
 * The owner ("maintenance") connection for system jobs that must see every tenant. Work inside one tenant still
 * runs in a transaction with that tenant set, so it is correct whether or not the owner bypasses row-level
 * security (a superuser does; a plain owner is bound by FORCE ROW LEVEL SECURITY like everyone else).
 */
@Injectable()
export class MaintenanceDatabase {
  constructor(@InjectDataSource(MAINTENANCE_DATA_SOURCE) readonly owner: DataSource) {}

  /** Every tenant, or the one named by id or slug. */
  async tenants(reference?: string): Promise<TenantRef[]> {
    const rows = await this.owner.query<TenantRef[]>(
      reference === undefined
        ? 'select id, slug from tenants order by created_at, id'
        : 'select id, slug from tenants where id::text = $1 or slug = $1',
      reference === undefined ? [] : [reference],
    );
    return rows;
  }

  async inTenant<T>(tenantId: string, work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.owner.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await enterTenant(runner, tenantId);
      const result = await work(runner);
      await runner.commitTransaction();
      return result;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw error;
    } finally {
      await runner.release();
    }
  }
}
