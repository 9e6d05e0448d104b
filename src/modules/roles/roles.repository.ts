import { Injectable } from '@nestjs/common';
import { type PageQueryDto, keysetPage } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { RoleEntity, RolePermissionEntity } from './role.entity.js';

export interface PermissionRow {
  code: string;
  description: string;
}

/** A PATCH: only the members present change. */
export type RoleChanges = Partial<Pick<RoleEntity, 'name' | 'description'>>;

export interface NewRole {
  id: string;
  name: string;
  description: string | null;
  system: boolean;
}

/** Roles and their permissions, in the caller's tenant transaction (row-level security scopes every statement). */
@Injectable()
export class RolesRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** The global permission catalog, by code. */
  permissionCatalog(): Promise<PermissionRow[]> {
    return this.tx.manager.query<PermissionRow[]>(`select code, description from permissions order by code`);
  }

  /** `limit + 1` roles after the cursor, for toPage. */
  list(query: PageQueryDto): Promise<RoleEntity[]> {
    return keysetPage(this.tx.manager.getRepository(RoleEntity).createQueryBuilder('role'), query).getMany();
  }

  /** `lock`: FOR UPDATE, so concurrent changes of one role wait for each other. */
  findById(id: string, lock = false): Promise<RoleEntity | null> {
    return this.tx.manager.getRepository(RoleEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
  }

  findByName(name: string): Promise<RoleEntity | null> {
    return this.tx.manager.getRepository(RoleEntity).findOneBy({ name });
  }

  /** How many of `ids` (distinct) are roles of this tenant. */
  countByIds(ids: string[]): Promise<number> {
    return this.tx.manager.getRepository(RoleEntity).countBy(ids.map((id) => ({ id })));
  }

  async insert(role: NewRole): Promise<void> {
    await this.tx.manager.insert(RoleEntity, role);
  }

  async update(id: string, changes: RoleChanges): Promise<void> {
    await this.tx.manager.update(RoleEntity, { id }, { ...changes, updatedAt: () => 'now()' });
  }

  async delete(id: string): Promise<void> {
    await this.tx.manager.delete(RoleEntity, { id });
  }

  async deletePermissions(roleId: string): Promise<void> {
    await this.tx.manager.delete(RolePermissionEntity, { roleId });
  }

  /** No statement for an empty list. */
  async insertPermissions(roleId: string, permissions: readonly string[]): Promise<void> {
    if (permissions.length === 0) return;
    await this.tx.manager.insert(
      RolePermissionEntity,
      permissions.map((permission) => ({ roleId, permission })),
    );
  }

  /** The permission codes of each role, sorted; no statement for an empty list. */
  async permissionsOf(roleIds: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    if (roleIds.length === 0) return result;
    const rows = await this.tx.manager
      .getRepository(RolePermissionEntity)
      .createQueryBuilder('rp')
      .where('rp.roleId IN (:...roleIds)', { roleIds })
      .orderBy('rp.permission')
      .getMany();
    for (const row of rows) result.set(row.roleId, [...(result.get(row.roleId) ?? []), row.permission]);
    return result;
  }
}
