import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { instanceToPlain } from 'class-transformer';
import { type Page, type PageQueryDto, toPage } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import { AuditService } from '../audit/index.js';
import { RolesService } from '../roles/index.js';
import type { UserView } from '../users/index.js';
import { UsersService } from '../users/index.js';
import type { CreateTenantDto, TenantView, UpdateTenantDto } from './dto/tenant.dto.js';
import { TenantDirectory } from './tenant-directory.service.js';
import type { TenantEntity, TenantSettings } from './tenant.entity.js';
import { TenantsRepository } from './tenants.repository.js';

export class TenantNotFoundException extends DomainException {
  constructor(reference: string) {
    super('tenant-not-found', `No tenant ${reference}`);
  }
}

export interface NewTenant {
  name: string;
  slug: string;
  settings?: TenantSettings;
  admin?: { email: string; password: string; name?: string; platformAdmin?: boolean };
}

/** Platform administration of tenants (global table), and acting inside a given tenant for it. */
@Injectable()
export class TenantsService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly directory: TenantDirectory,
    private readonly roles: RolesService,
    private readonly users: UsersService,
    private readonly changes: AccessChangeListener,
    private readonly audit: AuditService,
    private readonly repository: TenantsRepository,
  ) {}

  /**
   * Creates the tenant, its five default roles and, if given, its first Admin user, in one transaction: a
   * failure anywhere (duplicate slug, bad admin e-mail) leaves nothing behind.
   */
  async create(input: CreateTenantDto | NewTenant): Promise<TenantView & { adminUserId?: string }> {
    const id = randomUUID();
    const settings = toSettings(input.settings);
    // A fresh context for the new tenant: its rows are stamped with its id, and its transaction is its own.
    const created = await this.context.runAs(
      id,
      () =>
        this.tx.run(async () => {
          await this.repository.insert({
            id,
            name: input.name.trim(),
            slug: input.slug,
            status: 'active',
            settings,
          });
          const roleIds = await this.roles.createDefaultRoles();
          let admin: UserView | undefined;
          if (input.admin) {
            admin = await this.users.create({
              email: input.admin.email,
              password: input.admin.password,
              name: input.admin.name ?? null,
              roleIds: [roleIds.get('Admin')!],
              platformAdmin: 'platformAdmin' in input.admin ? Boolean(input.admin.platformAdmin) : false,
            });
          }
          const tenant = present(await this.repository.findByIdOrFail(id));
          await this.audit.record({
            action: 'tenant.created',
            entityType: 'tenant',
            entityId: id,
            after: { ...tenant },
          });
          return { ...tenant, ...(admin && { adminUserId: admin.id }) };
        }),
      this.actingPrincipal(),
    );
    // After the commit: invalidating earlier would let a concurrent lookup re-cache the old state.
    this.directory.invalidate(created);
    return created;
  }

  list(query: PageQueryDto): Promise<Page<TenantView>> {
    return this.tx.runGlobal(async () => toPage(await this.repository.list(query), query.limit, present));
  }

  async get(reference: string): Promise<TenantView> {
    return present(await this.findFresh(reference));
  }

  /** Suspension applies to the tenant's next request in this process, within TENANT_CACHE_TTL_MS elsewhere. */
  async update(id: string, input: UpdateTenantDto): Promise<TenantView> {
    // In a transaction of that tenant (not the administrator's own): the audit entry goes to its log, atomically.
    const updated = await this.context.runAs(
      id,
      () =>
        this.tx.run(async () => {
          const tenant = await this.repository.findByIdForUpdate(id);
          if (!tenant) throw new TenantNotFoundException(id);
          await this.repository.update(id, {
            ...(input.name !== undefined && { name: input.name.trim() }),
            ...(input.status !== undefined && { status: input.status }),
            ...(input.settings !== undefined && { settings: toSettings(input.settings) }),
          });
          const after = present(await this.repository.findByIdOrFail(id));
          await this.audit.record({
            action: 'tenant.updated',
            entityType: 'tenant',
            entityId: id,
            before: { ...present(tenant) },
            after: { ...after },
          });
          return after;
        }),
      this.actingPrincipal(),
    );
    // After the commit (see create): a just-suspended tenant is refused on its next request.
    this.directory.invalidate(updated);
    this.changes.announce(updated.id);
    return updated;
  }

  /** Gives a user of tenant `tenantId` a role of that tenant (POST /api/tenants/:id/users). */
  async assignRole(tenantId: string, userId: string, roleId: string): Promise<UserView> {
    const tenant = await this.findFresh(tenantId);
    return this.context.runAs(tenant.id, () => this.users.assignRole(userId, roleId), this.actingPrincipal());
  }

  /** Runs `fn` inside the tenant named by id or slug (CLI commands). */
  async runIn<T>(reference: string, fn: () => Promise<T>): Promise<T> {
    const tenant = await this.findFresh(reference);
    return this.context.runAs(tenant.id, fn, this.actingPrincipal());
  }

  private async findFresh(reference: string): Promise<TenantEntity> {
    const tenant = await this.directory.find(reference);
    if (!tenant) throw new TenantNotFoundException(reference);
    const fresh = await this.tx.runGlobal(() => this.repository.findById(tenant.id));
    if (!fresh) throw new TenantNotFoundException(reference);
    return fresh;
  }

  private actingPrincipal() {
    try {
      return this.context.principal;
    } catch {
      return { kind: 'system' as const, name: 'system' };
    }
  }
}

/** Validated DTO (or CLI input) to the stored shape, without undefined members. */
function toSettings(settings: object | undefined): TenantSettings {
  return settings ? (instanceToPlain(settings, { exposeUnsetFields: false }) as TenantSettings) : {};
}

export function present(tenant: TenantEntity): TenantView {
  return {
    id: tenant.id,
    name: tenant.name,
    slug: tenant.slug,
    status: tenant.status,
    settings: tenant.settings,
    createdAt: tenant.createdAt.toISOString(),
    updatedAt: tenant.updatedAt.toISOString(),
  };
}
