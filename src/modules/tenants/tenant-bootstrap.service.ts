import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { InjectDataSource } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import type { Environment } from '../../platform/config/environment.js';
import { MAINTENANCE_DATA_SOURCE } from '../../platform/database/database.constants.js';
import { DEFAULT_TENANT_SLUG } from './tenant-directory.service.js';
import { TenantsService } from './tenants.service.js';

/** Held while checking for and creating the first tenant, so replicas starting together create it once. */
const BOOTSTRAP_LOCK_KEY = 7_364_002;

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
    @InjectDataSource(MAINTENANCE_DATA_SOURCE) private readonly owner: DataSource,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.bootstrap();
  }

  /** Returns true when it created the default tenant. */
  async bootstrap(): Promise<boolean> {
    const lock = this.owner.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('select pg_advisory_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      const [{ exists }] = (await lock.query('select exists (select 1 from tenants)')) as [
        { exists: boolean },
      ];
      if (exists) return false;

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
      await lock.query('select pg_advisory_unlock($1)', [BOOTSTRAP_LOCK_KEY]).catch(() => undefined);
      await lock.release();
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
