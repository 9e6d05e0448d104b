import { Injectable } from '@nestjs/common';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import type { Principal } from '../../platform/tenancy/tenant-context.js';

/** A principal with its current permissions, as PrincipalLoader loads it. */
export interface LoadedPrincipal {
  principal: Principal;
  permissions: string[];
}

/** Safety net: an entry is reloaded after this even if a notification was somehow missed. */
const TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;

interface Entry {
  tenantId: string;
  principal: LoadedPrincipal;
  expiresAt: number;
}

/**
 * Users' and API keys' status and permissions, cached in-process so that authentication costs no database round
 * trip in the steady state. Dropped per tenant by the process that changes access (after commit) and by
 * NOTIFY access_changed in every replica; bypassed while the listener is down; 30 s TTL as a safety net.
 */
@Injectable()
export class PrincipalCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly changes: AccessChangeListener) {
    changes.onChange((tenantId) => this.invalidateTenant(tenantId));
  }

  get(key: string): LoadedPrincipal | undefined {
    if (!this.changes.healthy) return undefined;
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.principal;
  }

  /** `validUntil`: an API key's expiry, so a cached key is never used past it. */
  set(key: string, tenantId: string, principal: LoadedPrincipal, validUntil?: Date | null): void {
    if (!this.changes.healthy) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    const expiresAt = Math.min(
      Date.now() + TTL_MS,
      validUntil ? validUntil.getTime() : Number.POSITIVE_INFINITY,
    );
    this.entries.set(key, { tenantId, principal, expiresAt });
  }

  /** '*' drops everything. */
  invalidateTenant(tenantId: string): void {
    if (tenantId === '*') {
      this.entries.clear();
      return;
    }
    for (const [key, entry] of this.entries) if (entry.tenantId === tenantId) this.entries.delete(key);
  }
}
