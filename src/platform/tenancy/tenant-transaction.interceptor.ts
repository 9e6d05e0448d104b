import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { SetMetadata } from '@nestjs/common';
import { from, lastValueFrom, type Observable } from 'rxjs';
import { ACCESS_RULE, type AccessRule } from '../access/access.decorators.js';
import { TenantTransactions } from './tenant-transactions.js';

const SINGLE_STATEMENT = 'inventory-enterprise:single-statement';

/**
 * The handler's database work is one statement that sets the tenant itself (a SQL function whose first act is
 * the transaction-local set_config): no surrounding transaction, one round trip (docs/design.md, "Performance budget").
 */
export const SingleStatement = (): MethodDecorator => SetMetadata(SINGLE_STATEMENT, true);

export function isSingleStatement(reflector: Reflector, context: ExecutionContext): boolean {
  return reflector.get<boolean | undefined>(SINGLE_STATEMENT, context.getHandler()) === true;
}

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
    if (isSingleStatement(this.reflector, context)) return next.handle();
    return from(this.tx.run(() => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
