import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, type PageQueryDto, toPage } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import { AuditService } from '../audit/index.js';
import { RolesService } from '../roles/index.js';
import type { CreateUserDto, UpdateUserDto, UserView } from './dto/user.dto.js';
import { PasswordHasher } from './password-hasher.js';
import type { UserEntity } from './user.entity.js';
import { UsersRepository } from './users.repository.js';

export class UserNotFoundException extends DomainException {
  constructor(id: string) {
    super('not-found', `No user ${id}`);
  }
}

export interface NewUser {
  email: string;
  password: string;
  name?: string | null;
  roleIds: string[];
  platformAdmin?: boolean;
}

/** Users of the context's tenant. Every method runs in (or joins) the tenant's transaction. */
@Injectable()
export class UsersService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly roles: RolesService,
    private readonly passwords: PasswordHasher,
    private readonly changes: AccessChangeListener,
    private readonly audit: AuditService,
    private readonly repository: UsersRepository,
  ) {}

  list(query: PageQueryDto): Promise<Page<UserView>> {
    return this.tx.run(async () => {
      const users = await this.repository.list(query);
      const roles = await this.repository.roleIdsOf(users.map((user) => user.id));
      return toPage(users, query.limit, (user) => present(user, roles.get(user.id) ?? []));
    });
  }

  get(id: string): Promise<UserView> {
    return this.tx.run(async () => {
      const user = await this.find(id);
      return present(user, (await this.repository.roleIdsOf([id])).get(id) ?? []);
    });
  }

  async create(input: CreateUserDto | NewUser): Promise<UserView> {
    // Hash before opening the transaction: argon2 takes tens of milliseconds and needs no connection.
    const passwordHash = await this.passwords.hash(input.password);
    return this.tx.run(async () => {
      await this.roles.assertExist(input.roleIds);
      const id = randomUUID();
      await this.repository.insert({
        id,
        email: input.email.trim().toLowerCase(),
        name: input.name ?? null,
        passwordHash,
        status: 'active',
        platformAdmin: 'platformAdmin' in input ? Boolean(input.platformAdmin) : false,
      });
      await this.replaceRoles(id, input.roleIds);
      return this.get(id);
    });
  }

  update(id: string, input: UpdateUserDto): Promise<UserView> {
    if (input.platformAdmin !== undefined) this.assertPlatformAdmin();
    return this.tx.run(async () => {
      const user = await this.find(id, true);
      if (user.status === 'deleted') {
        throw new DomainException('user-erased', `User ${id} was erased and cannot change`);
      }
      if (input.roleIds) await this.roles.assertExist(input.roleIds);
      await this.repository.update(id, {
        ...(input.name !== undefined && { name: input.name }),
        ...(input.status !== undefined && { status: input.status }),
        ...(input.platformAdmin !== undefined && { platformAdmin: input.platformAdmin }),
      });
      if (input.roleIds) await this.replaceRoles(id, input.roleIds);
      this.announceAccessChange();
      return this.get(id);
    });
  }

  /**
   * GDPR erasure: e-mail, name and password are removed and the user can never log in again; the id stays,
   * so the ledger and the audit trail keep pointing at "a user" without naming them. Idempotent.
   */
  erase(id: string): Promise<void> {
    return this.tx.run(async () => {
      const user = await this.find(id, true);
      if (user.status === 'deleted') return;
      await this.audit.named('user.erased', () => this.repository.erase(id));
      await this.repository.deleteRoles(id);
      this.announceAccessChange();
    });
  }

  /** Adds one role to a user (POST /api/tenants/:id/users and `users:assign`); already held is fine. */
  assignRole(userId: string, roleId: string): Promise<UserView> {
    return this.tx.run(async () => {
      const user = await this.find(userId, true);
      if (user.status === 'deleted') throw new UserNotFoundException(userId);
      await this.roles.assertExist([roleId]);
      await this.repository.addRole(userId, roleId);
      this.announceAccessChange();
      return this.get(userId);
    });
  }

  /** The user with this e-mail and its password hash, for login; erased users have no e-mail. */
  findForLogin(email: string): Promise<UserEntity | null> {
    return this.tx.run(() => this.repository.findWithPasswordHash(email.trim().toLowerCase()));
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.tx.run(() => this.repository.findByEmail(email.trim().toLowerCase()));
  }

  /** After commit: this tenant's cached principals are stale (see AccessChangeListener). */
  private announceAccessChange(): void {
    const tenantId = this.context.tenantId;
    this.tx.afterCommit(() => this.changes.announce(tenantId));
  }

  private assertPlatformAdmin(): void {
    const principal = this.context.principal;
    const allowed = principal.kind === 'system' || (principal.kind === 'user' && principal.platformAdmin);
    if (!allowed) {
      throw new DomainException('forbidden', 'Only a platform administrator can change platformAdmin');
    }
  }

  private async find(id: string, lock = false): Promise<UserEntity> {
    const user = await this.repository.findById(id, lock);
    if (!user) throw new UserNotFoundException(id);
    return user;
  }

  private async replaceRoles(userId: string, roleIds: string[]): Promise<void> {
    await this.repository.deleteRoles(userId);
    await this.repository.insertRoles(userId, roleIds);
  }
}

export function present(user: UserEntity, roleIds: string[]): UserView {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    status: user.status,
    platformAdmin: user.platformAdmin,
    roleIds,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}
