import { Injectable } from '@nestjs/common';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { TenantEntity, type TenantSettings } from '../tenants/index.js';

/** The flags live in the tenant's settings (tenants.settings.features), read in the caller's transaction. */
@Injectable()
export class FeatureFlagsRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** TypeORM's EntityNotFoundError when there is no such tenant. */
  async settingsOf(tenantId: string): Promise<TenantSettings> {
    const tenant = await this.tx.manager.getRepository(TenantEntity).findOneByOrFail({ id: tenantId });
    return tenant.settings;
  }

  /** FOR UPDATE, so two concurrent switches both take effect; EntityNotFoundError when there is no tenant. */
  async lockSettings(tenantId: string): Promise<TenantSettings> {
    const tenant = await this.tx.manager.getRepository(TenantEntity).findOneOrFail({
      where: { id: tenantId },
      lock: { mode: 'pessimistic_write' },
    });
    return tenant.settings;
  }

  async saveSettings(tenantId: string, settings: TenantSettings): Promise<void> {
    await this.tx.manager.getRepository(TenantEntity).update(
      { id: tenantId },
      {
        // jsonb: TypeORM's deep-partial typing cannot express Record<string, unknown>, hence the cast.
        settings: settings as never,
        updatedAt: () => 'now()',
      },
    );
  }
}
