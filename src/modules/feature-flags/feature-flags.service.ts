import { Injectable } from '@nestjs/common';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import { AuditService } from '../audit/index.js';
import { TenantDirectory } from '../tenants/index.js';
import type { FeatureFlagView } from './dto/feature-flag.dto.js';
import { enabledFeatures, FEATURE_CATALOG, FEATURE_KEYS, type FeatureKey } from './feature-catalog.js';
import { FeatureFlagsRepository } from './feature-flags.repository.js';

@Injectable()
export class FeatureFlagsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly directory: TenantDirectory,
    private readonly changes: AccessChangeListener,
    private readonly audit: AuditService,
    private readonly repository: FeatureFlagsRepository,
  ) {}

  list(): Promise<FeatureFlagView[]> {
    return this.tx.run(async () => {
      const settings = await this.repository.settingsOf(this.context.tenantId);
      return present(enabledFeatures(settings.features));
    });
  }

  /** Switches one flag; the tenant row is locked so that two concurrent switches both take effect. */
  async set(key: string, enabled: boolean): Promise<FeatureFlagView> {
    if (!FEATURE_KEYS.includes(key as FeatureKey)) {
      throw new DomainException('not-found', `No feature flag ${JSON.stringify(key)}`, {
        known: FEATURE_KEYS,
      });
    }
    const tenantId = this.context.tenantId;
    const view = await this.tx.run(async () => {
      const settings = await this.repository.lockSettings(tenantId);
      const features = enabledFeatures(settings.features);
      const before = features.has(key as FeatureKey);
      if (enabled) features.add(key as FeatureKey);
      else features.delete(key as FeatureKey);
      await this.repository.saveSettings(tenantId, { ...settings, features: [...features] });
      if (before !== enabled) {
        await this.audit.record({
          action: 'feature_flag.updated',
          entityType: 'feature_flag',
          entityId: key,
          before: { enabled: before },
          after: { enabled },
        });
      }
      this.tx.afterCommit(() => {
        this.directory.invalidateById(tenantId);
        this.changes.announce(tenantId);
      });
      return present(features).find((flag) => flag.key === key)!;
    });
    return view;
  }
}

function present(enabled: Set<FeatureKey>): FeatureFlagView[] {
  return FEATURE_KEYS.map((key) => ({
    key,
    enabled: enabled.has(key),
    default: FEATURE_CATALOG[key].default,
    description: FEATURE_CATALOG[key].description,
  }));
}
