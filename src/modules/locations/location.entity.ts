import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../../platform/tenancy/tenant-owned.entity.js';

@Entity({ name: 'locations' })
export class LocationEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  site!: string;

  @Column('text')
  name!: string;

  @Column('text', { nullable: true })
  code!: string | null;

  @Column('text', { nullable: true })
  type!: string | null;

  @Column('timestamptz', { name: 'archived_at', nullable: true })
  archivedAt!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}
