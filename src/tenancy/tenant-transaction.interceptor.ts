import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ACCESS_RULE, type AccessRule } from '../common/access/access.decorators.js';
import { TenantTransactions } from './tenant-transactions.js';

/**
 * Runs each authenticated tenant request's handler in one transaction of its tenant, so a request's writes
 * commit or roll back together. Public routes have no tenant; platform routes act on several tenants and open
 * their own transactions per tenant.
 */
@Injectable()
export class TenantTransactionInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly tx: TenantTransactions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (rule?.kind !== 'authenticated' && rule?.kind !== 'permissions') return next.handle();
    return from(this.tx.run(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
