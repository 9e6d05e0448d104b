import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { randomBytes } from 'node:crypto';
import type { Environment } from '../../platform/config/environment.js';
import { TenantBootstrapRepository } from './tenant-bootstrap.repository.js';
import { DEFAULT_TENANT_SLUG } from './tenant-directory.service.js';
import { TenantsService } from './tenants.service.js';

/**
 * First start on an empty database: creates the tenant `default` and a platform administrator in it
 * (BOOTSTRAP_ADMIN_EMAIL / BOOTSTRAP_ADMIN_PASSWORD). Without a configured password a strong one is generated
 * and printed once. Never runs again once any tenant exists.
 */
@Injectable()
export class TenantBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('Bootstrap');

  constructor(
    private readonly tenants: TenantsService,
    private readonly config: ConfigService<Environment, true>,
    private readonly repository: TenantBootstrapRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrap();
  }

  /** Returns true when it created the default tenant. */
  async bootstrap(): Promise<boolean> {
    // Replicas starting together: one creates the tenant, the others wait and then find it.
    const connection = this.repository.connection();
    await connection.connect();
    try {
      await this.repository.lock(connection);
      if (await this.repository.anyTenantExists(connection)) return false;

      const email = this.config.get('BOOTSTRAP_ADMIN_EMAIL', { infer: true });
      const configured = this.config.get('BOOTSTRAP_ADMIN_PASSWORD', { infer: true });
      const password = configured ?? randomBytes(18).toString('base64url');
      const tenant = await this.tenants.create({
        name: 'Default',
        slug: DEFAULT_TENANT_SLUG,
        admin: { email, password, name: 'Platform administrator', platformAdmin: true },
      });
      this.logger.log(
        `created tenant "${DEFAULT_TENANT_SLUG}" (${tenant.id}) and platform administrator ${email}`,
      );
      if (!configured) printGeneratedPassword(email, password);
      return true;
    } finally {
      await this.repository.unlock(connection).catch(() => undefined);
      await connection.release();
    }
  }
}

/** Once, on the console, outside the JSON log stream: it is shown this one time and stored only as a hash. */
function printGeneratedPassword(email: string, password: string): void {
  const lines = [
    'Platform administrator created (shown once, store it now):',
    `  tenant:   ${DEFAULT_TENANT_SLUG}`,
    `  email:    ${email}`,
    `  password: ${password}`,
    'Log in: POST /api/auth/login with header X-Tenant-Id: default',
  ];
  const width = Math.max(...lines.map((line) => line.length)) + 2;
  const border = `+${'-'.repeat(width)}+`;
  process.stderr.write(
    `\n${border}\n${lines.map((line) => `| ${line.padEnd(width - 1)}|`).join('\n')}\n${border}\n\n`,
  );
}
