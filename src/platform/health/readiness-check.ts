import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';

/** A feature's contribution to GET /health/ready (terminus indicator). */
export interface ReadinessCheck {
  readiness(indicators: HealthIndicatorService): Promise<HealthIndicatorResult>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');
