import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
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
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cache: PrincipalCache,
  ) {}

  async user(tenantId: string, userId: string): Promise<LoadedPrincipal> {
    const key = `${tenantId}:user:${userId}`;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const [row] = await this.dataSource.query<
      { status: string; platform_admin: boolean; permissions: string[] }[]
    >('select status, platform_admin, permissions from auth_user($1, $2)', [tenantId, userId]);
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
    const [row] = await this.dataSource.query<
      { id: string; revoked: boolean; expired: boolean; expires_at: Date | null; permissions: string[] }[]
    >('select id, revoked, expired, expires_at, permissions from auth_api_key($1, $2)', [tenantId, keyHash]);
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
