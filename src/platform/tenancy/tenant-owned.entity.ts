import { AfterLoad, PrimaryColumn } from 'typeorm';
import { currentTenantId } from './tenant-context.js';

/** A row of another tenant reached the application: row-level security or a query is broken. */
export class TenantIsolationError extends Error {
  override readonly name = 'TenantIsolationError';
}

/**
 * Base of every tenant-owned entity: `tenant_id` is the first primary-key column (PRIMARY KEY (tenant_id, id)).
 * It is stamped from TenantContext on insert by TenantStampSubscriber, never taken from a request.
 * The load listener is a belt to RLS's braces: a row of a tenant other than the context's is an error.
 */
export abstract class TenantOwnedEntity {
  @PrimaryColumn('uuid', { name: 'tenant_id' })
  tenantId!: string;

  @AfterLoad()
  protected assertSameTenantAsContext(): void {
    const contextTenant = currentTenantId();
    if (contextTenant !== undefined && this.tenantId !== undefined && this.tenantId !== contextTenant) {
      throw new TenantIsolationError(
        `loaded a ${this.constructor.name} of tenant ${this.tenantId} in the context of tenant ${contextTenant}`,
      );
    }
  }
}
