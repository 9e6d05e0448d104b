import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TenantStatus = 'active' | 'suspended';

/** Tenant settings as stored (validated on the way in by TenantSettingsDto). */
export interface TenantSettings {
  features?: string[];
  limits?: { maxItems?: number; maxUsers?: number; maxLocations?: number };
  negativeStock?: 'deny' | 'allow';
  subdomain?: string;
  branding?: Record<string, unknown>;
}

/** A customer. Global table (no tenant_id, no row-level security): resolution must read it before a tenant is known. */
@Entity({ name: 'tenants' })
export class TenantEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text')
  slug!: string;

  @Column('text')
  status!: TenantStatus;

  @Column('jsonb')
  settings!: TenantSettings;

  @Column('timestamptz', { name: 'created_at' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
