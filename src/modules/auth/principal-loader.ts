import { Injectable } from '@nestjs/common';
import { AuthRepository } from './auth.repository.js';
import { InvalidCredentialsException } from './jwt.strategy.js';
import { PrincipalCache, type LoadedPrincipal } from './principal-cache.js';

/**
 * The current status and permissions of a user or API key: from PrincipalCache, or in one round trip (the SQL
 * functions set the tenant for their own statement, so row-level security applies). The cache is dropped on
 * every access change (locally after commit, elsewhere by NOTIFY), so a suspended or erased user, a revoked key
 * and a changed role take effect on the very next request, on every replica.
 */
@Injectable()
export class PrincipalLoader {
  constructor(
    private readonly repository: AuthRepository,
    private readonly cache: PrincipalCache,
  ) {}

  async user(tenantId: string, userId: string): Promise<LoadedPrincipal> {
    const key = `${tenantId}:user:${userId}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const row = await this.repository.authUser(tenantId, userId);
    if (!row || row.status === 'deleted') throw new InvalidCredentialsException('The user no longer exists');
    if (row.status !== 'active') throw new InvalidCredentialsException('The user is suspended');
    const loaded: LoadedPrincipal = {
      principal: { kind: 'user', userId, platformAdmin: row.platform_admin },
      permissions: row.permissions,
    };
    this.cache.set(key, tenantId, loaded);
    return loaded;
  }

  async apiKey(tenantId: string, keyHash: Buffer): Promise<LoadedPrincipal> {
    const key = `${tenantId}:key:${keyHash.toString('hex')}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const row = await this.repository.authApiKey(tenantId, keyHash);
    if (!row) throw new InvalidCredentialsException('Unknown API key');
    if (row.revoked) throw new InvalidCredentialsException('The API key was revoked');
    if (row.expired) throw new InvalidCredentialsException('The API key has expired');
    const loaded: LoadedPrincipal = {
      principal: { kind: 'api-key', apiKeyId: row.id },
      permissions: row.permissions,
    };
    this.cache.set(key, tenantId, loaded, row.expires_at);
    return loaded;
  }
}
