import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { IdempotencyInterceptor } from '../http/idempotency/idempotency.interceptor.js';
import { TenantStampSubscriber } from './tenant-stamp.subscriber.js';
import { TenantTransactionInterceptor } from './tenant-transaction.interceptor.js';
import { AccessChangeListener } from './access-change-listener.js';
import { TenantContext } from './tenant-context.js';
import { TenantTransactions } from './tenant-transactions.js';

/**
 * The tenancy plumbing every feature module uses: TenantTransactions (tenant-scoped transactions) and the
 * insert/update belt (TenantStampSubscriber), and TenantContext.
 */
@Global()
@Module({
  providers: [
    AccessChangeListener,
    TenantContext,
    TenantTransactions,
    TenantStampSubscriber,
    // Order matters: the transaction is opened first, and the idempotency claim is its first statement.
    { provide: APP_INTERCEPTOR, useClass: TenantTransactionInterceptor },
    { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
  ],
  exports: [AccessChangeListener, TenantContext, TenantTransactions],
})
export class TenancyModule {}
