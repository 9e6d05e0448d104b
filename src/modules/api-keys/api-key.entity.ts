import { Column, Entity, PrimaryColumn } from 'typeorm';
import { TenantOwnedEntity } from '../../platform/tenancy/tenant-owned.entity.js';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity extends TenantOwnedEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text')
  name!: string;

  @Column('uuid', { name: 'role_id' })
  roleId!: string;

  /** The first characters of the key, shown in lists so people can tell keys apart. */
  @Column('text')
  prefix!: string;

  /** sha256 of the whole key; the key itself is never stored. */
  @Column('bytea', { name: 'key_hash', select: false })
  keyHash!: Buffer;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy!: string | null;

  @Column('timestamptz', { name: 'expires_at', nullable: true })
  expiresAt!: Date | null;

  @Column('timestamptz', { name: 'last_used_at', nullable: true })
  lastUsedAt!: Date | null;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt!: Date | null;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
