import { Module } from '@nestjs/common';
import { IdempotencyExpiry } from './idempotency-expiry.service.js';
import { IdempotencyKeysRepository } from './idempotency-keys.repository.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';

/** Idempotency-Key: the interceptor (installed by src/request-pipeline.module.ts) and the expiry job. */
@Module({
  providers: [IdempotencyInterceptor, IdempotencyExpiry, IdempotencyKeysRepository],
  exports: [IdempotencyInterceptor, IdempotencyExpiry],
})
export class IdempotencyModule {}
