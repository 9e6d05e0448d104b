import { Module } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { AccessGuard, AuthModule, RequestThrottleGuard } from './modules/auth/index.js';
import { FeatureFlagsModule, FeatureGuard } from './modules/feature-flags/index.js';
import { IdempotencyInterceptor } from './platform/http/idempotency/idempotency.interceptor.js';
import { IdempotencyModule } from './platform/http/idempotency/idempotency.module.js';
import { TenantTransactionInterceptor } from './platform/tenancy/tenant-transaction.interceptor.js';

/**
 * Every global guard and interceptor of the HTTP API, in the order they run (Nest runs global enhancers in the
 * order they are registered): one place to read it, independent of the order modules are imported in.
 * The classes live with their owners (auth, feature flags, tenancy, http) and are only installed here; the
 * global pipe and filter are set in app.setup.ts. See docs/architecture.md, "A request's path".
 */
@Module({
  imports: [AuthModule, FeatureFlagsModule, IdempotencyModule],
  providers: [
    // 1. Tenant resolution, authentication, access rule; records denials. Identifies the principal that...
    { provide: APP_GUARD, useExisting: AccessGuard },
    // 2. ...the throttler counts against.
    { provide: APP_GUARD, useExisting: RequestThrottleGuard },
    // 3. The route's feature switched on for the tenant (needs the tenant the access guard resolved).
    { provide: APP_GUARD, useExisting: FeatureGuard },
    // 4. The tenant transaction is opened first...
    { provide: APP_INTERCEPTOR, useExisting: TenantTransactionInterceptor },
    // 5. ...so that the idempotency claim is its first statement.
    { provide: APP_INTERCEPTOR, useExisting: IdempotencyInterceptor },
  ],
})
export class RequestPipelineModule {}
