import { type ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { ThrottlerGuard, type ThrottlerLimitDetail } from '@nestjs/throttler';
import type { Response } from 'express';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';

export const LOGIN_THROTTLED = 'inventory-enterprise:login-throttled';

/** Marks the login route: it gets the strict per-IP+e-mail limit instead of the per-principal one. */
export const LoginThrottled = (): MethodDecorator => SetMetadata(LOGIN_THROTTLED, true);

/**
 * @nestjs/throttler with our answer: 429 problem+json with Retry-After (seconds). Registered after AccessGuard,
 * so the per-principal limit knows the tenant and user or key. The throttlers themselves (api, login) and
 * their trackers are configured in AuthModule.
 */
@Injectable()
export class RequestThrottleGuard extends ThrottlerGuard {
  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const retryAfter = Math.max(1, Math.ceil(detail.timeToBlockExpire));
    context.switchToHttp().getResponse<Response>().setHeader('Retry-After', String(retryAfter));
    throw new DomainException('rate-limited', `Rate limit reached; retry in ${retryAfter} s`);
  }
}
