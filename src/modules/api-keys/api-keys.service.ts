import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { type Page, type PageQueryDto, toPage } from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { AccessChangeListener } from '../../platform/tenancy/access-change-listener.js';
import { RolesService } from '../roles/index.js';
import type { ApiKeyEntity } from './api-key.entity.js';
import { generateApiKey } from './api-key-format.js';
import { ApiKeysRepository } from './api-keys.repository.js';
import type { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto.js';

@Injectable()
export class ApiKeysService {
  constructor(
    private readonly tx: TenantTransactions,
    private readonly context: TenantContext,
    private readonly roles: RolesService,
    private readonly changes: AccessChangeListener,
    private readonly repository: ApiKeysRepository,
  ) {}

  list(query: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.tx.run(async () => toPage(await this.repository.list(query), query.limit, present));
  }

  create(input: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now()) {
      throw new DomainException('validation-failed', 'expiresAt must be in the future', {
        errors: [{ field: 'expiresAt', message: 'expiresAt must be in the future' }],
      });
    }
    return this.tx.run(async () => {
      await this.roles.assertExist([input.roleId]);
      const { key, prefix, hash } = generateApiKey(this.context.tenantId);
      const id = randomUUID();
      await this.repository.insert({
        id,
        name: input.name.trim(),
        roleId: input.roleId,
        prefix,
        keyHash: hash,
        createdBy: this.context.userId ?? null,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      });
      const created = await this.repository.findByIdOrFail(id);
      return { ...present(created), key };
    });
  }

  /** The role an API key of this tenant carries (GET /api/auth/me); EntityNotFoundError when there is no key. */
  roleIdOf(id: string): Promise<string> {
    return this.tx.run(async () => (await this.repository.findByIdOrFail(id)).roleId);
  }

  /** After commit: this tenant's cached principals are stale (see AccessChangeListener). */
  private announceAccessChange(): void {
    const tenantId = this.context.tenantId;
    this.tx.afterCommit(() => this.changes.announce(tenantId));
  }

  /** Revocation is immediate: the next request with the key is a 401. Idempotent. */
  revoke(id: string): Promise<void> {
    return this.tx.run(async () => {
      const found = await this.repository.revoke(id);
      if (!found) throw new DomainException('not-found', `No API key ${id}`);
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
