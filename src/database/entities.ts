import type { Type } from '@nestjs/common';
import { ApiKeyEntity } from '../modules/api-keys/api-key.entity.js';
import { ItemEntity, ItemUomEntity } from '../modules/items/item.entity.js';
import { LocationEntity } from '../modules/locations/location.entity.js';
import { OutboxEventEntity } from '../modules/outbox/outbox-event.entity.js';
import { RoleEntity, RolePermissionEntity } from '../modules/roles/role.entity.js';
import { TenantEntity } from '../modules/tenants/tenant.entity.js';
import { UserEntity, UserRoleEntity } from '../modules/users/user.entity.js';

/** Every entity class, listed explicitly (see migrations.ts for why not a glob). */
export const entities: Type[] = [
  TenantEntity,
  UserEntity,
  UserRoleEntity,
  RoleEntity,
  RolePermissionEntity,
  ApiKeyEntity,
  ItemEntity,
  ItemUomEntity,
  LocationEntity,
  OutboxEventEntity,
];
