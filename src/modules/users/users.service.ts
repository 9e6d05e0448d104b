import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  type Page,
  type PageQueryDto,
  keysetPage,
  toPage,
} from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import { AuditService } from '../audit/index.js';
import { RolesService } from '../roles/index.js';
import type { CreateUserDto, UpdateUserDto, UserView } from './dto/user.dto.js';
import { PasswordHasher } from './password-hasher.js';
import { UserEntity, UserRoleEntity } from './user.entity.js';

export class UserNotFoundException extends DomainException {
  constructor(id: string) {
    super(404, 'not-found', 'Not found', `No user ${id}`);
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
  ) {}

  list(query: PageQueryDto): Promise<Page<UserView>> {
    return this.tx.run(async () => {
      const builder = keysetPage(this.tx.manager.getRepository(UserEntity).createQueryBuilder('user'), query);
      const users = await builder.getMany();
      const roles = await this.roleIdsOf(users.map((user) => user.id));
      return toPage(users, query.limit, (user) => present(user, roles.get(user.id) ?? []));
    });
  }

  get(id: string): Promise<UserView> {
    return this.tx.run(async () => {
      const user = await this.find(id);
      return present(user, (await this.roleIdsOf([id])).get(id) ?? []);
    });
  }

  async create(input: CreateUserDto | NewUser): Promise<UserView> {
    // Hash before opening the transaction: argon2 takes tens of milliseconds and needs no connection.
    const passwordHash = await this.passwords.hash(input.password);
    return this.tx.run(async () => {
      await this.roles.assertExist(input.roleIds);
      const id = randomUUID();
      await this.tx.manager.insert(UserEntity, {
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
        throw new DomainException(
          409,
          'user-erased',
          'User erased',
          `User ${id} was erased and cannot change`,
        );
      }
      if (input.roleIds) await this.roles.assertExist(input.roleIds);
      await this.tx.manager.update(
        UserEntity,
        { id },
        {
          ...(input.name !== undefined && { name: input.name }),
          ...(input.status !== undefined && { status: input.status }),
          ...(input.platformAdmin !== undefined && { platformAdmin: input.platformAdmin }),
          updatedAt: () => 'now()',
        },
      );
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
      await this.audit.named('user.erased', () =>
        this.tx.manager.update(
          UserEntity,
          { id },
          {
            email: null,
            name: null,
            passwordHash: null,
            status: 'deleted',
            platformAdmin: false,
            erasedAt: () => 'now()',
            updatedAt: () => 'now()',
          },
        ),
      );
      await this.tx.manager.delete(UserRoleEntity, { userId: id });
      this.announceAccessChange();
    });
  }

  /** Adds one role to a user (POST /api/tenants/:id/users and `users:assign`); already held is fine. */
  assignRole(userId: string, roleId: string): Promise<UserView> {
    return this.tx.run(async () => {
      const user = await this.find(userId, true);
      if (user.status === 'deleted') throw new UserNotFoundException(userId);
      await this.roles.assertExist([roleId]);
      await this.tx.manager
        .createQueryBuilder()
        .insert()
        .into(UserRoleEntity)
        .values({ userId, roleId })
        .orIgnore()
        .execute();
      this.announceAccessChange();
      return this.get(userId);
    });
  }

  /** The user with this e-mail and its password hash, for login; erased users have no e-mail. */
  findForLogin(email: string): Promise<UserEntity | null> {
    return this.tx.run(() =>
      this.tx.manager
        .getRepository(UserEntity)
        .createQueryBuilder('user')
        .addSelect('user.passwordHash')
        .where('user.email = :email', { email: email.trim().toLowerCase() })
        .getOne(),
    );
  }

  findByEmail(email: string): Promise<UserEntity | null> {
    return this.tx.run(() =>
      this.tx.manager.getRepository(UserEntity).findOneBy({ email: email.trim().toLowerCase() }),
    );
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
      throw new DomainException(
        403,
        'forbidden',
        'Forbidden',
        'Only a platform administrator can change platformAdmin',
      );
    }
  }

  private async find(id: string, lock = false): Promise<UserEntity> {
    const user = await this.tx.manager.getRepository(UserEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
    if (!user) throw new UserNotFoundException(id);
    return user;
  }

  private async replaceRoles(userId: string, roleIds: string[]): Promise<void> {
    await this.tx.manager.delete(UserRoleEntity, { userId });
    if (roleIds.length > 0) {
      await this.tx.manager.insert(
        UserRoleEntity,
        roleIds.map((roleId) => ({ userId, roleId })),
      );
    }
  }

  private async roleIdsOf(userIds: string[]): Promise<Map<string, string[]>> {
    const result = new Map<string, string[]>();
    if (userIds.length === 0) return result;
    const rows = await this.tx.manager
      .getRepository(UserRoleEntity)
      .createQueryBuilder('ur')
      .where('ur.userId IN (:...userIds)', { userIds })
      .orderBy('ur.roleId')
      .getMany();
    for (const row of rows) result.set(row.userId, [...(result.get(row.userId) ?? []), row.roleId]);
    return result;
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
