import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../tenancy/tenant-owned.entity.js';

/** A domain event, written in the same transaction as the change it describes (transactional outbox). */
@Entity({ name: 'outbox_events' })
export class OutboxEventEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  type!: string;

  @Column('jsonb')
  payload!: Record<string, unknown>;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
