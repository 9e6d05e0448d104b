import type { Type } from '@nestjs/common';
import { ApiKeyEntity } from './modules/api-keys/index.js';
import { ItemEntity, ItemUomEntity } from './modules/items/index.js';
import { LocationEntity } from './modules/locations/index.js';
import { OutboxEventEntity } from './platform/outbox/outbox-event.entity.js';
import { RoleEntity, RolePermissionEntity } from './modules/roles/index.js';
import { TenantEntity } from './modules/tenants/index.js';
import { UserEntity, UserRoleEntity } from './modules/users/index.js';

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
