import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntitySubscriberInterface, type InsertEvent, type UpdateEvent } from 'typeorm';
import { TenantContext } from './tenant-context.js';
import { TenantIsolationError, TenantOwnedEntity } from './tenant-owned.entity.js';

/**
 * Stamps tenant_id from TenantContext on every insert of a tenant-owned entity and refuses to change it on
 * update. Row-level security would reject both anyway (WITH CHECK); this fails earlier with a clearer error.
 */
@Injectable()
export class TenantStampSubscriber implements EntitySubscriberInterface<TenantOwnedEntity> {
  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly context: TenantContext,
  ) {
    dataSource.subscribers.push(this);
  }

  listenTo(): typeof TenantOwnedEntity {
    return TenantOwnedEntity;
  }

  beforeInsert(event: InsertEvent<TenantOwnedEntity>): void {
    const tenantId = this.context.tenantId;
    if (event.entity.tenantId === undefined) event.entity.tenantId = tenantId;
    else if (event.entity.tenantId !== tenantId) {
      throw new TenantIsolationError(
        `refusing to insert a row of tenant ${event.entity.tenantId} as ${tenantId}`,
      );
    }
  }

  beforeUpdate(event: UpdateEvent<TenantOwnedEntity>): void {
    const before = (event.databaseEntity as TenantOwnedEntity | undefined)?.tenantId;
    const after = (event.entity as TenantOwnedEntity | undefined)?.tenantId;
    if (before !== undefined && after !== undefined && before !== after) {
      throw new TenantIsolationError(`refusing to move a row from tenant ${before} to ${after}`);
    }
  }
}
