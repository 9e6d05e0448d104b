import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';

/** What auth_user() returns: the user's status and current permissions. */
export interface AuthUserRow {
  status: string;
  platform_admin: boolean;
  permissions: string[];
}

/** What auth_api_key() returns for a key hash. */
export interface AuthApiKeyRow {
  id: string;
  revoked: boolean;
  expired: boolean;
  expires_at: Date | null;
  permissions: string[];
}

export interface DenialRow {
  tenantId: string;
  userId: string | null;
  apiKeyId: string | null;
  method: string;
  route: string;
  permission: string;
  ip: string | null;
  requestId: string | null;
}

/**
 * The authentication lookups and the permission-denial log. The lookups are one statement each on the app pool,
 * outside any transaction: the SQL functions set the tenant for their own statement, so row-level security
 * applies. Denials go into the caller's tenant transaction.
 */
@Injectable()
export class AuthRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tx: TenantTransactions,
  ) {}

  async authUser(tenantId: string, userId: string): Promise<AuthUserRow | undefined> {
    const [row] = await this.dataSource.query<AuthUserRow[]>(
      'select status, platform_admin, permissions from auth_user($1, $2)',
      [tenantId, userId],
    );
    return row;
  }

  async authApiKey(tenantId: string, keyHash: Buffer): Promise<AuthApiKeyRow | undefined> {
    const [row] = await this.dataSource.query<AuthApiKeyRow[]>(
      'select id, revoked, expired, expires_at, permissions from auth_api_key($1, $2)',
      [tenantId, keyHash],
    );
    return row;
  }

  async insertDenial(denial: DenialRow): Promise<void> {
    await this.tx.manager.query(
      `insert into rbac_audit_log (tenant_id, user_id, api_key_id, method, route, permission, ip, request_id)
       values ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        denial.tenantId,
        denial.userId,
        denial.apiKeyId,
        denial.method,
        denial.route,
        denial.permission,
        denial.ip,
        denial.requestId,
      ],
    );
  }
}
