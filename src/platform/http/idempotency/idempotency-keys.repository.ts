import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';

/** Statements on idempotency_keys outside a request (the claim and the stored response are the interceptor's). */
@Injectable()
export class IdempotencyKeysRepository {
  /** Deletes the tenant's records past their expiry; returns how many (runner: a transaction of that tenant). */
  async deleteExpired(runner: QueryRunner, tenantId: string): Promise<number> {
    // TypeORM answers a DELETE with [rows, affected count].
    const [, deleted] = (await runner.query(
      `delete from idempotency_keys where tenant_id = $1 and expires_at <= now()`,
      [tenantId],
    )) as [unknown[], number];
    return deleted;
  }
}
