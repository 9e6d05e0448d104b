import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  type Page,
  type PageQueryDto,
  keysetPage,
  toPage,
} from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import type { CreateRoleDto, PermissionView, RoleView, UpdateRoleDto } from './dto/role.dto.js';
import { DEFAULT_ROLES, isPermission } from '../../platform/access/permissions.js';
import { RoleEntity, RolePermissionEntity } from './role.entity.js';

export class RoleNotFoundException extends DomainException {
  constructor(id: string) {
    super(404, 'not-found', 'Not found', `No role ${id}`);
  }
}

/** Roles of the context's tenant. Every method runs in (or joins) the tenant's transaction. */
@Injectable()
export class RolesService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly changes: AccessChangeListener,
  ) {}

  /** Creates the five system roles in the current transaction's tenant; returns their ids by name. */
  async createDefaultRoles(): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const role of DEFAULT_ROLES) {
      const id = randomUUID();
      await this.tx.manager.insert(RoleEntity, {
        id,
        name: role.name,
        description: role.description,
        system: true,
      });
      await this.tx.manager.insert(
        RolePermissionEntity,
        role.permissions.map((permission) => ({ roleId: id, permission })),
      );
      ids.set(role.name, id);
    }
    return ids;
  }

  async catalog(): Promise<PermissionView[]> {
    const rows = await this.tx.run(() =>
      this.tx.manager.query<{ code: string; description: string }[]>(
        `select code, description from permissions order by code`,
      ),
    );
    return rows.map(({ code, description }) => {
      const [resource, action] = code.split(':');
      return { code, resource: resource, action: action, description };
    });
  }

  list(query: PageQueryDto): Promise<Page<RoleView>> {
    return this.tx.run(async () => {
      const builder = keysetPage(this.tx.manager.getRepository(RoleEntity).createQueryBuilder('role'), query);
      const roles = await builder.getMany();
      const permissions = await this.permissionsOf(roles.map((role) => role.id));
      return toPage(roles, query.limit, (role) => present(role, permissions.get(role.id) ?? []));
    });
  }

  get(id: string): Promise<RoleView> {
    return this.tx.run(async () => {
      const role = await this.find(id);
      const permissions = await this.permissionsOf([id]);
      return present(role, permissions.get(id) ?? []);
    });
  }

  create(input: CreateRoleDto): Promise<RoleView> {
    assertPermissions(input.permissions);
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.tx.manager.insert(RoleEntity, {
        id,
        name: input.name.trim(),
        description: input.description ?? null,
        system: false,
      });
      await this.replacePermissions(id, input.permissions);
      return this.get(id);
    });
  }

  update(id: string, input: UpdateRoleDto): Promise<RoleView> {
    if (input.permissions) assertPermissions(input.permissions);
    return this.tx.run(async () => {
      const role = await this.find(id, true);
      if (role.system && (input.name !== undefined || input.permissions !== undefined)) {
        throw new DomainException(
          409,
          'system-role',
          'System role',
          `${role.name} is a system role: only its description can change`,
        );
      }
      await this.tx.manager.update(
        RoleEntity,
        { id },
        {
          ...(input.name !== undefined && { name: input.name.trim() }),
          ...(input.description !== undefined && { description: input.description }),
          updatedAt: () => 'now()',
        },
      );
      if (input.permissions) await this.replacePermissions(id, input.permissions);
      this.announceAccessChange();
      return this.get(id);
    });
  }

  /** System roles cannot be deleted; a role still held by a user or an API key is a 409 (foreign key). */
  delete(id: string): Promise<void> {
    return this.tx.run(async () => {
      const role = await this.find(id, true);
      if (role.system) {
        throw new DomainException(
          409,
          'system-role',
          'System role',
          `${role.name} is a system role and cannot be deleted`,
        );
      }
      await this.tx.manager.delete(RoleEntity, { id });
      this.announceAccessChange();
    });
  }

  /** A role by exact name or id (CLI); 404 otherwise. */
  findByNameOrId(reference: string): Promise<RoleEntity> {
    return this.tx.run(async () => {
      const repository = this.tx.manager.getRepository(RoleEntity);
      const byName = await repository.findOneBy({ name: reference });
      if (byName) return byName;
      const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(reference);
      const byId = isUuid ? await repository.findOneBy({ id: reference }) : null;
      if (!byId) throw new RoleNotFoundException(reference);
      return byId;
    });
  }

  /** After commit: this tenant's cached principals are stale (see AccessChangeListener). */
  private announceAccessChange(): void {
    const tenantId = this.context.tenantId;
    this.tx.afterCommit(() => this.changes.announce(tenantId));
  }

  /** Throws 404 unless every id is a role of this tenant. */
  async assertExist(ids: string[]): Promise<void> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return;
    const found = await this.tx.manager.getRepository(RoleEntity).countBy(unique.map((id) => ({ id })));
    if (found !== unique.length) {
      throw new DomainException(404, 'not-found', 'Not found', 'One or more roles do not exist');
    }
  }

  private async find(id: string, lock = false): Promise<RoleEntity> {
    const role = await this.tx.manager.getRepository(RoleEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!role) throw new RoleNotFoundException(id);
    return role;
  }

  private async replacePermissions(roleId: string, permissions: string[]): Promise<void> {
    await this.tx.manager.delete(RolePermissionEntity, { roleId });
    if (permissions.length > 0) {
      await this.tx.manager.insert(
        RolePermissionEntity,
        permissions.map((permission) => ({ roleId, permission })),
      );
    }
  }

  private async permissionsOf(roleIds: string[]): Promise<Map<string, string[]>> {
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

function assertPermissions(codes: string[]): void {
  const unknown = codes.filter((code) => !isPermission(code));
  if (unknown.length > 0) {
    throw new ValidationFailedException(
      unknown.map((code) => ({
        field: 'permissions',
        message: `unknown permission code ${JSON.stringify(code)}`,
      })),
    );
  }
}

function present(role: RoleEntity, permissions: string[]): RoleView {
  return {
    id: role.id,
    name: role.name,
    description: role.description,
    system: role.system,
    permissions,
    createdAt: role.createdAt.toISOString(),
    updatedAt: role.updatedAt.toISOString(),
  };
}
