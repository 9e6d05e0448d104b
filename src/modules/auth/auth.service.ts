import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtService } from '@nestjs/jwt';
import { randomUUID } from 'node:crypto';
import type { Environment } from '../../platform/config/environment.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import { ApiKeysService } from '../api-keys/index.js';
import { RolesService } from '../roles/index.js';
import { TenantsService } from '../tenants/index.js';
import { PasswordHasher } from '../users/index.js';
import { UsersService } from '../users/index.js';
import type { LoginResponse, MeResponse } from './dto/auth.dto.js';
import { expiryInSeconds } from './jwt-signing-key.js';
import { InvalidCredentialsException } from './jwt.strategy.js';

@Injectable()
export class AuthService {
  private readonly expiresIn: number;

  constructor(
    private readonly jwt: JwtService,
    private readonly users: UsersService,
    private readonly roles: RolesService,
    private readonly tenants: TenantsService,
    private readonly apiKeys: ApiKeysService,
    private readonly passwords: PasswordHasher,
    private readonly context: TenantContext,
    private readonly tx: TenantTransactions,
    config: ConfigService<Environment, true>,
  ) {
    this.expiresIn = expiryInSeconds(config.get('JWT_EXPIRY', { infer: true }));
  }

  /** In the resolved tenant. Unknown e-mail, wrong password and a suspended user all get the same 401. */
  async login(email: string, password: string): Promise<LoginResponse> {
    const user = await this.users.findForLogin(email);
    const valid = await this.passwords.verify(user?.passwordHash, password);
    if (!user || !valid || user.status !== 'active') {
      throw new InvalidCredentialsException('Wrong e-mail or password');
    }
    const accessToken = await this.jwt.signAsync(
      { tid: this.context.tenantId, jti: randomUUID() },
      { subject: user.id, expiresIn: this.expiresIn },
    );
    return {
      accessToken,
      tokenType: 'Bearer',
      expiresIn: this.expiresIn,
      user: await this.users.get(user.id),
    };
  }

  me(): Promise<MeResponse> {
    return this.tx.run(async () => {
      const tenant = await this.tenants.get(this.context.tenantId);
      const userId = this.context.userId;
      const user = userId ? await this.users.get(userId) : null;
      let roleIds = user?.roleIds ?? [];
      if (this.context.apiKeyId) roleIds = [await this.apiKeys.roleIdOf(this.context.apiKeyId)];
      const roles = await Promise.all(roleIds.map((id) => this.roles.get(id)));
      return {
        user,
        apiKeyId: this.context.apiKeyId ?? null,
        tenant,
        roles,
        permissions: [...this.context.permissions].sort(),
      };
    });
  }
}
