import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../../platform/tenancy/tenant-owned.entity.js';

@Entity({ name: 'roles' })
export class RoleEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('text', { nullable: true })
  description!: string | null;

  /** The five default roles; they cannot be deleted. */
  @Column('boolean')
  system!: boolean;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}

@Entity({ name: 'role_permissions' })
export class RolePermissionEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid', { name: 'role_id' })
  roleId!: string;

  @PrimaryColumn('text')
  permission!: string;
}
