import { randomBytes } from 'node:crypto';
import { Command, CommandRunner, Option } from 'nest-commander';
import { CreateTenantDto } from '../../modules/tenants/index.js';
import { TenantsService } from '../../modules/tenants/index.js';
import { parseJsonOption, validateInput } from './cli-input.js';

interface OrgCreateOptions {
  name?: string;
  slug?: string;
  settings?: unknown;
  adminEmail?: string;
  adminPassword?: string;
  adminName?: string;
}

/**
 * Options are checked by CreateTenantDto, exactly like POST /api/tenants: one line per bad or missing field.
 * (commander's `required` is not used: in-process, its missing-option path calls process.exit.)
 */
@Command({
  name: 'org:create',
  description: 'Create a tenant (organization) with its default roles and, optionally, its first Admin user',
})
export class OrgCreateCommand extends CommandRunner {
  constructor(private readonly tenants: TenantsService) {
    super();
  }

  async run(_args: string[], options: OrgCreateOptions): Promise<void> {
    const generated =
      options.adminEmail && !options.adminPassword ? randomBytes(18).toString('base64url') : undefined;
    const input = await validateInput(CreateTenantDto, {
      name: options.name,
      slug: options.slug,
      settings: options.settings,
      admin: options.adminEmail
        ? { email: options.adminEmail, password: options.adminPassword ?? generated, name: options.adminName }
        : undefined,
    });
    const tenant = await this.tenants.create(input);
    process.stdout.write(`created tenant ${tenant.slug} (${tenant.id})\n`);
    if (input.admin) {
      process.stdout.write(`admin user ${input.admin.email} (${tenant.adminUserId}) with role Admin\n`);
      if (generated) process.stdout.write(`generated password (shown once): ${generated}\n`);
    }
  }

  @Option({ flags: '--name <name>', description: 'Display name' })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--slug <slug>', description: 'Unique slug: ^[a-z0-9][a-z0-9-]{1,62}$' })
  parseSlug(value: string): string {
    return value;
  }

  @Option({
    flags: '--settings <json>',
    description: 'Tenant settings as JSON (features, limits, negativeStock)',
  })
  parseSettings(value: string): unknown {
    return parseJsonOption('settings', value);
  }

  @Option({ flags: '--admin-email <email>', description: "E-mail of the tenant's first Admin user" })
  parseAdminEmail(value: string): string {
    return value;
  }

  @Option({
    flags: '--admin-password <password>',
    description: 'Its password (generated and printed when omitted)',
  })
  parseAdminPassword(value: string): string {
    return value;
  }

  @Option({ flags: '--admin-name <name>', description: 'Its display name' })
  parseAdminName(value: string): string {
    return value;
  }
}
