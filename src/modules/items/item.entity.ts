import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../../platform/tenancy/tenant-owned.entity.js';

@Entity({ name: 'items' })
export class ItemEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  sku!: string;

  @Column('text')
  name!: string;

  @Column('text', { nullable: true })
  description!: string | null;

  @Column('text', { name: 'base_uom' })
  baseUom!: string;

  @Column('boolean', { name: 'lot_tracked' })
  lotTracked!: boolean;

  /** Overrides the tenant's negativeStock setting; null = follow the tenant. */
  @Column('text', { name: 'negative_stock', nullable: true })
  negativeStock!: 'deny' | 'allow' | null;

  @Column('timestamptz', { name: 'archived_at', nullable: true })
  archivedAt!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

@Entity({ name: 'item_uoms' })
export class ItemUomEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid', { name: 'item_id' })
  itemId!: string;

  @PrimaryColumn('text')
  code!: string;

  /** Base units per one `code`, as a decimal string. */
  @Column('numeric', { precision: 20, scale: 6 })
  factor!: string;
}
