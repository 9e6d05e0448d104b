import { Injectable } from '@nestjs/common';
import { TransactionHost } from '@nestjs-cls/transactional';
import type { TransactionalAdapterTypeOrm } from '@nestjs-cls/transactional-adapter-typeorm';
import { ClsService } from 'nestjs-cls';
import type { EntityManager } from 'typeorm';
import { enterTenant } from '../database/session-settings.js';
import type { RequestStore } from './request-store.js';
import { TenantContext } from './tenant-context.js';

/**
 * Every statement of the request path runs in a transaction whose first statement is enter_tenant() (the
 * tenant, and who acts for the audit triggers; src/platform/database/session-settings.ts): transaction-local, so a pooled
 * connection never carries a tenant into the next use. Services read `manager` (the open transaction's EntityManager, via
 * @nestjs-cls/transactional) and never pass a tenant id around. Outside such a transaction `manager` is the
 * plain app pool, where row-level security shows no tenant rows at all (fail closed).
 */
@Injectable()
export class TenantTransactions {
  constructor(
    private readonly txHost: TransactionHost<TransactionalAdapterTypeOrm>,
    private readonly context: TenantContext,
    private readonly cls: ClsService<RequestStore>,
  ) {}

  get manager(): EntityManager {
    return this.txHost.tx;
  }

  /** Runs `fn` in a transaction of the context's tenant, or joins the one already open for it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    return this.runFor(this.context.tenantId, fn);
  }

  /**
   * Runs `fn` in a transaction of `tenantId` (platform operations that act on a tenant other than their own,
   * e.g. creating one). Joining an open transaction of another tenant is refused: that would mix tenants.
   */
  async runFor<T>(tenantId: string, fn: () => Promise<T>): Promise<T> {
    if (this.txHost.isTransactionActive()) {
      const bound = this.cls.get('transactionTenant');
      if (bound !== tenantId) {
        throw new Error(
          `a transaction for tenant ${bound ?? '(none)'} is open; refusing to run ${tenantId} in it`,
        );
      }
      return fn();
    }
    const afterCommit: Array<() => void> = [];
    const result = await this.txHost.withTransaction(async () => {
      await enterTenant(this.txHost.tx, tenantId, this.context.auditOrigin);
      this.cls.set('transactionTenant', tenantId);
      this.cls.set('afterCommit', afterCommit);
      return fn();
    });
    for (const callback of afterCommit) callback();
    return result;
  }

  /** A transaction with no tenant: only global tables (tenants, permissions) are visible in it. */
  async runGlobal<T>(fn: () => Promise<T>): Promise<T> {
    if (this.txHost.isTransactionActive()) return fn();
    const afterCommit: Array<() => void> = [];
    const result = await this.txHost.withTransaction(() => {
      this.cls.set('afterCommit', afterCommit);
      return fn();
    });
    for (const callback of afterCommit) callback();
    return result;
  }

  /**
   * Runs `callback` once the current transaction has committed (at once when none is open), e.g. to drop a
   * cache entry: dropped earlier, a concurrent request could cache the state that is about to change.
   */
  afterCommit(callback: () => void): void {
    const pending = this.txHost.isTransactionActive() ? this.cls.get('afterCommit') : undefined;
    if (pending) pending.push(callback);
    else callback();
  }
}
