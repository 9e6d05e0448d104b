import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TenantStampSubscriber } from './tenant-stamp.subscriber.js';
import { TenantTransactionInterceptor } from './tenant-transaction.interceptor.js';
import { TenantContext } from './tenant-context.js';
import { TenantTransactions } from './tenant-transactions.js';

/**
 * The tenancy plumbing every feature module uses: TenantTransactions (tenant-scoped transactions) and the
 * insert/update belt (TenantStampSubscriber), and TenantContext.
 */
@Global()
@Module({
  providers: [
    TenantContext,
    TenantTransactions,
    TenantStampSubscriber,
    { provide: APP_INTERCEPTOR, useClass: TenantTransactionInterceptor },
  ],
  exports: [TenantContext, TenantTransactions],
})
export class TenancyModule {}
