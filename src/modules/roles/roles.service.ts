import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, type PageQueryDto, toPage } from '../../platform/http/pagination/pagination.js';
import {
  DomainException,
  ValidationFailedException,
} from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import type { CreateRoleDto, PermissionView, RoleView, UpdateRoleDto } from './dto/role.dto.js';
import { DEFAULT_ROLES, isPermission } from '../../platform/access/permissions.js';
import type { RoleEntity } from './role.entity.js';
import { RolesRepository } from './roles.repository.js';

export class RoleNotFoundException extends DomainException {
  constructor(id: string) {
    super('not-found', `No role ${id}`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Roles of the context's tenant. Every method runs in (or joins) the tenant's transaction. */
@Injectable()
export class RolesService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly changes: AccessChangeListener,
    private readonly repository: RolesRepository,
  ) {}

  /** Creates the five system roles in the current transaction's tenant; returns their ids by name. */
  async createDefaultRoles(): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    for (const role of DEFAULT_ROLES) {
      const id = randomUUID();
      await this.repository.insert({ id, name: role.name, description: role.description, system: true });
      await this.repository.insertPermissions(id, role.permissions);
      ids.set(role.name, id);
    }
    return ids;
  }

  async catalog(): Promise<PermissionView[]> {
    const rows = await this.tx.run(() => this.repository.permissionCatalog());
    return rows.map(({ code, description }) => {
      const [resource, action] = code.split(':');
      return { code, resource: resource, action: action, description };
    });
  }

  list(query: PageQueryDto): Promise<Page<RoleView>> {
    return this.tx.run(async () => {
      const roles = await this.repository.list(query);
      const permissions = await this.repository.permissionsOf(roles.map((role) => role.id));
      return toPage(roles, query.limit, (role) => present(role, permissions.get(role.id) ?? []));
    });
  }

  get(id: string): Promise<RoleView> {
    return this.tx.run(async () => {
      const role = await this.find(id);
      const permissions = await this.repository.permissionsOf([id]);
      return present(role, permissions.get(id) ?? []);
    });
  }

  create(input: CreateRoleDto): Promise<RoleView> {
    assertPermissions(input.permissions);
    return this.tx.run(async () => {
      const id = randomUUID();
      await this.repository.insert({
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
          'system-role',
          `${role.name} is a system role: only its description can change`,
        );
      }
      await this.repository.update(id, {
        ...(input.name !== undefined && { name: input.name.trim() }),
        ...(input.description !== undefined && { description: input.description }),
      });
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
        throw new DomainException('system-role', `${role.name} is a system role and cannot be deleted`);
      }
      await this.repository.delete(id);
      this.announceAccessChange();
    });
  }

  /** A role by exact name or id (CLI); 404 otherwise. */
  findByNameOrId(reference: string): Promise<RoleEntity> {
    return this.tx.run(async () => {
      const byName = await this.repository.findByName(reference);
      if (byName) return byName;
      const byId = UUID.test(reference) ? await this.repository.findById(reference) : null;
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
    const found = await this.repository.countByIds(unique);
    if (found !== unique.length) {
      throw new DomainException('not-found', 'One or more roles do not exist');
    }
  }

  private async find(id: string, lock = false): Promise<RoleEntity> {
    const role = await this.repository.findById(id, lock);
    if (!role) throw new RoleNotFoundException(id);
    return role;
  }

  private async replacePermissions(roleId: string, permissions: string[]): Promise<void> {
    await this.repository.deletePermissions(roleId);
    await this.repository.insertPermissions(roleId, permissions);
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
