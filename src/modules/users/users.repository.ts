import { Injectable } from '@nestjs/common';
import { type PageQueryDto, keysetPage } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { UserEntity, UserRoleEntity, type UserStatus } from './user.entity.js';

export interface NewUserRow {
  id: string;
  email: string;
  name: string | null;
  passwordHash: string;
  status: UserStatus;
  platformAdmin: boolean;
}

/** A PATCH: only the members present change. */
export type UserChanges = Partial<Pick<UserEntity, 'name' | 'status' | 'platformAdmin'>>;

/** Users and their roles, in the caller's tenant transaction (row-level security scopes every statement). */
@Injectable()
export class UsersRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** `limit + 1` users after the cursor, for toPage. */
  list(query: PageQueryDto): Promise<UserEntity[]> {
    return keysetPage(this.tx.manager.getRepository(UserEntity).createQueryBuilder('user'), query).getMany();
  }

  /** `lock`: FOR UPDATE, so concurrent changes of one user wait for each other. */
  findById(id: string, lock = false): Promise<UserEntity | null> {
    return this.tx.manager.getRepository(UserEntity).findOne({
      where: { id },
      ...(lock && { lock: { mode: 'pessimistic_write' as const } }),
    });
  }

  /** `email` lower-cased already. */
  findByEmail(email: string): Promise<UserEntity | null> {
    return this.tx.manager.getRepository(UserEntity).findOneBy({ email });
  }

  /** With the password hash (never selected otherwise); `email` lower-cased already. */
  findWithPasswordHash(email: string): Promise<UserEntity | null> {
    return this.tx.manager
      .getRepository(UserEntity)
      .createQueryBuilder('user')
      .addSelect('user.passwordHash')
      .where('user.email = :email', { email })
      .getOne();
  }

  async insert(user: NewUserRow): Promise<void> {
    await this.tx.manager.insert(UserEntity, user);
  }

  async update(id: string, changes: UserChanges): Promise<void> {
    await this.tx.manager.update(UserEntity, { id }, { ...changes, updatedAt: () => 'now()' });
  }

  /** GDPR erasure of the row: personal data and password gone, the id stays. */
  async erase(id: string): Promise<void> {
    await this.tx.manager.update(
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
    );
  }

  async deleteRoles(userId: string): Promise<void> {
    await this.tx.manager.delete(UserRoleEntity, { userId });
  }

  /** No statement for an empty list. */
  async insertRoles(userId: string, roleIds: string[]): Promise<void> {
    if (roleIds.length === 0) return;
    await this.tx.manager.insert(
      UserRoleEntity,
      roleIds.map((roleId) => ({ userId, roleId })),
    );
  }

  /** Already held is fine (ON CONFLICT DO NOTHING). */
  async addRole(userId: string, roleId: string): Promise<void> {
    await this.tx.manager
      .createQueryBuilder()
      .insert()
      .into(UserRoleEntity)
      .values({ userId, roleId })
      .orIgnore()
      .execute();
  }

  /** The role ids of each user, sorted; no statement for an empty list. */
  async roleIdsOf(userIds: string[]): Promise<Map<string, string[]>> {
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
