import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../../platform/tenancy/tenant-owned.entity.js';

export type UserStatus = 'active' | 'suspended' | 'deleted';

@Entity({ name: 'users' })
export class UserEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Lower-cased; null once the user is erased (GDPR), which frees the address for reuse. */
  @Column('text', { nullable: true })
  email!: string | null;

  @Column('text', { nullable: true })
  name!: string | null;

  /** argon2id PHC string; never selected unless asked for. */
  @Column('text', { name: 'password_hash', nullable: true, select: false })
  passwordHash!: string | null;

  @Column('text')
  status!: UserStatus;

  @Column('boolean', { name: 'platform_admin', default: false })
  platformAdmin!: boolean;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;

  @Column('timestamptz', { name: 'erased_at', nullable: true })
  erasedAt!: Date | null;
}

@Entity({ name: 'user_roles' })
export class UserRoleEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid', { name: 'user_id' })
  userId!: string;

  @PrimaryColumn('uuid', { name: 'role_id' })
  roleId!: string;
}
