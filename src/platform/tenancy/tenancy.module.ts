import { Global, Module } from '@nestjs/common';
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
    // Installed as a global interceptor by the request pipeline (src/request-pipeline.module.ts).
    TenantTransactionInterceptor,
  ],
  exports: [AccessChangeListener, TenantContext, TenantTransactions, TenantTransactionInterceptor],
})
export class TenancyModule {}
