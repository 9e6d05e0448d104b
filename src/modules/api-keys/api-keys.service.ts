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
import { RolesService } from '../roles/index.js';
import { ApiKeyEntity } from './api-key.entity.js';
import { generateApiKey } from './api-key-format.js';
import type { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto.js';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly roles: RolesService,
    private readonly changes: AccessChangeListener,
  ) {}

  list(query: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.tx.run(async () => {
      const builder = keysetPage(
        this.tx.manager.getRepository(ApiKeyEntity).createQueryBuilder('key'),
        query,
      );
      return toPage(await builder.getMany(), query.limit, present);
    });
  }

  create(input: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
      throw new DomainException(
        400,
        'validation-failed',
        'Invalid request',
        'expiresAt must be in the future',
        {
          errors: [{ field: 'expiresAt', message: 'expiresAt must be in the future' }],
        },
      );
    }
    return this.tx.run(async () => {
      await this.roles.assertExist([input.roleId]);
      const { key, prefix, hash } = generateApiKey(this.context.tenantId);
      const id = randomUUID();
      await this.tx.manager.insert(ApiKeyEntity, {
        id,
        name: input.name.trim(),
        roleId: input.roleId,
        prefix,
        keyHash: hash,
        createdBy: this.context.userId ?? null,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      });
      const created = await this.tx.manager.getRepository(ApiKeyEntity).findOneByOrFail({ id });
      return { ...present(created), key };
    });
  }

  /** After commit: this tenant's cached principals are stale (see AccessChangeListener). */
  private announceAccessChange(): void {
    const tenantId = this.context.tenantId;
    this.tx.afterCommit(() => this.changes.announce(tenantId));
  }

  /** Revocation is immediate: the next request with the key is a 401. Idempotent. */
  revoke(id: string): Promise<void> {
    return this.tx.run(async () => {
      const result = await this.tx.manager
        .createQueryBuilder()
        .update(ApiKeyEntity)
        .set({ revokedAt: () => 'coalesce(revoked_at, now())' })
        .where('id = :id', { id })
        .execute();
      if (result.affected === 0) throw new DomainException(404, 'not-found', 'Not found', `No API key ${id}`);
      this.announceAccessChange();
    });
  }
}

function present(key: ApiKeyEntity): ApiKeyView {
  return {
    id: key.id,
    name: key.name,
    roleId: key.roleId,
    prefix: key.prefix,
    expiresAt: key.expiresAt?.toISOString() ?? null,
    lastUsedAt: key.lastUsedAt?.toISOString() ?? null,
    revokedAt: key.revokedAt?.toISOString() ?? null,
    createdAt: key.createdAt.toISOString(),
  };
}
