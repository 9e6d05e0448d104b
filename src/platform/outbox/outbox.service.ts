import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { TenantTransactions } from '../tenancy/tenant-transactions.js';
import type { EventType } from './event-types.js';
import { OutboxEventEntity } from './outbox-event.entity.js';

/**
 * Records domain events in the current tenant transaction: they commit or roll back with the change itself,
 * and nothing is published from memory. (Movements write theirs inside post_movement().)
 */
@Injectable()
export class OutboxService {
  constructor(private readonly tx: TenantTransactions) {}

  async record(type: EventType, payload: Record<string, unknown>): Promise<void> {
    // jsonb: TypeORM's deep-partial typing cannot express Record<string, unknown>, hence the cast.
    await this.tx.run(() =>
      this.tx.manager.insert(OutboxEventEntity, { id: randomUUID(), type, payload: payload as never }),
    );
  }
}
