import { Injectable } from '@nestjs/common';
import { type PageQueryDto, keysetPage } from '../../platform/http/pagination/pagination.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { ApiKeyEntity } from './api-key.entity.js';

export interface NewApiKey {
  id: string;
  name: string;
  roleId: string;
  prefix: string;
  keyHash: Buffer;
  createdBy: string | null;
  expiresAt: Date | null;
}

/** API keys (never their hash on the way out), in the caller's tenant transaction. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /** `limit + 1` keys after the cursor, for toPage. */
  list(query: PageQueryDto): Promise<ApiKeyEntity[]> {
    return keysetPage(this.tx.manager.getRepository(ApiKeyEntity).createQueryBuilder('key'), query).getMany();
  }

  /** TypeORM's EntityNotFoundError when there is no such key. */
  findByIdOrFail(id: string): Promise<ApiKeyEntity> {
    return this.tx.manager.getRepository(ApiKeyEntity).findOneByOrFail({ id });
  }

  async insert(key: NewApiKey): Promise<void> {
    await this.tx.manager.insert(ApiKeyEntity, key);
  }

  /** Sets revoked_at unless already set; false when there is no such key. */
  async revoke(id: string): Promise<boolean> {
    const result = await this.tx.manager
      .createQueryBuilder()
      .update(ApiKeyEntity)
      .set({ revokedAt: () => 'coalesce(revoked_at, now())' })
      .where('id = :id', { id })
      .execute();
    return result.affected !== 0;
  }
}
