import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import { requestFingerprint } from '../../platform/http/idempotency/request-fingerprint.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { RbacDenials } from '../auth/index.js';
import { INVENTORY_MOVEMENTS, RESERVATIONS } from '../../platform/observability/metric-names.js';
import type { CreateMovementDto } from './dto/movement.dto.js';
import { InventoryRepository, type PostedMovement } from './inventory.repository.js';

export type { PostedMovement } from './inventory.repository.js';

/**
 * Posting is PostgreSQL's job: TypeScript has validated the shape (DTO) and here only checks the adjustment
 * permission, then post_movement() does the rest in one statement and one round trip (see its migration).
 */
@Injectable()
export class MovementsService {
  constructor(
    private readonly inventory: InventoryRepository,
    private readonly context: TenantContext,
    private readonly denials: RbacDenials,
    @InjectMetric(INVENTORY_MOVEMENTS) private readonly movements: Counter<'type'>,
    @InjectMetric(RESERVATIONS) private readonly reservationEvents: Counter<'event'>,
  ) {}

  async post(
    input: CreateMovementDto,
    idempotencyKey: string | undefined,
    request: { method: string; route: string; ip: string | undefined },
  ): Promise<PostedMovement> {
    if (input.type === 'adjustment' && !this.context.permissions.has('inventory:adjust')) {
      await this.denials.record({
        method: request.method,
        route: request.route,
        permission: 'inventory:adjust',
        ip: request.ip,
      });
      throw new DomainException('forbidden', 'Requires permission inventory:adjust', {
        permission: 'inventory:adjust',
      });
    }
    const actor = this.context.actor;
    const fingerprint = idempotencyKey ? requestFingerprint(request.method, request.route, input) : null;
    const result = await this.inventory.postMovement({
      tenantId: this.context.tenantId,
      actorId: actor.id,
      actorKind: actor.kind,
      idempotencyKey: idempotencyKey ?? null,
      fingerprint,
      movement: input,
      auditOrigin: this.context.auditOrigin,
    });
    if (!result.replayed) {
      this.movements.inc({ type: input.type });
      if (input.reservationId) this.reservationEvents.inc({ event: 'consumed' });
    }
    return result;
  }
}
