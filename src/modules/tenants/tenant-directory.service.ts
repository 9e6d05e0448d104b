import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import type { TenantEntity } from './tenant.entity.js';
import { TenantsRepository } from './tenants.repository.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const DEFAULT_TENANT_SLUG = 'default';

/**
 * Looks tenants up by id or slug for request resolution, with an in-process cache: resolution runs on every
 * request, tenants change rarely. Changes made through this process invalidate at once, other replicas drop the
 * entry on NOTIFY access_changed; TENANT_CACHE_TTL_MS is the safety net, and while the listener is down the cache
 * is bypassed.
 */
@Injectable()
export class TenantDirectory {
  private readonly ttlMs: number;
  private readonly cache = new Map<string, { tenant: TenantEntity | null; expiresAt: number }>();

  constructor(
    private readonly repository: TenantsRepository,
    config: ConfigService<Environment, true>,
    private readonly changes: AccessChangeListener,
  ) {
    this.ttlMs = config.get('TENANT_CACHE_TTL_MS', { infer: true });
    changes.onChange((tenantId) => this.invalidateById(tenantId));
  }

  /** By id (a UUID) or slug; null when there is no such tenant. */
  async find(reference: string): Promise<TenantEntity | null> {
    const key = reference.toLowerCase();
    const cached = this.changes.healthy ? this.cache.get(key) : undefined;
    if (cached && cached.expiresAt > Date.now()) return cached.tenant;
    const tenant = UUID.test(key)
      ? await this.repository.lookUpById(key)
      : await this.repository.lookUpBySlug(key);
    if (this.ttlMs > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(key, { tenant, expiresAt: Date.now() + this.ttlMs });
    }
    return tenant;
  }

  /** Drops a tenant by id (NOTIFY access_changed carries only the id); '*' drops everything. */
  invalidateById(tenantId: string): void {
    if (tenantId === '*') {
      this.cache.clear();
      return;
    }
    for (const [key, entry] of this.cache) {
      if (key === tenantId || entry.tenant?.id === tenantId) this.cache.delete(key);
    }
  }

  /** Drops a tenant from the cache (after a change), under both its id and its slug. */
  invalidate(tenant: Pick<TenantEntity, 'id' | 'slug'>): void {
    this.cache.delete(tenant.id);
    this.cache.delete(tenant.slug);
  }
}
