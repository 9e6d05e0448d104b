import { randomBytes } from 'node:crypto';
import { Command, CommandRunner, Option } from 'nest-commander';
import { RolesService } from '../../modules/roles/index.js';
import { TenantsService } from '../../modules/tenants/index.js';
import { UsersService } from '../../modules/users/index.js';
import { validateInput } from './cli-input.js';
import { CreateUserDto } from '../../modules/users/index.js';

interface UsersAssignOptions {
  tenant: string;
  email: string;
  role: string;
  create?: boolean;
  password?: string;
  name?: string;
  platformAdmin?: boolean;
}

@Command({
  name: 'users:assign',
  description: 'Give a user of a tenant a role (by name or id); --create makes the user first if missing',
})
export class UsersAssignCommand extends CommandRunner {
  constructor(
    private readonly tenants: TenantsService,
    private readonly users: UsersService,
    private readonly roles: RolesService,
  ) {
    super();
  }

  async run(_args: string[], options: Partial<UsersAssignOptions>): Promise<void> {
    const missing = (['tenant', 'email', 'role'] as const).filter((name) => !options[name]);
    if (missing.length > 0) throw new Error(`missing ${missing.map((name) => `--${name}`).join(', ')}`);
    await this.assign(options as UsersAssignOptions);
  }

  private async assign(options: UsersAssignOptions): Promise<void> {
    await this.tenants.runIn(options.tenant, async () => {
      const role = await this.roles.findByNameOrId(options.role);
      let user = await this.users.findByEmail(options.email);
      let generated: string | undefined;
      if (!user) {
        if (!options.create)
          throw new Error(`no user ${options.email} in tenant ${options.tenant} (add --create to create it)`);
        generated = options.password ? undefined : randomBytes(18).toString('base64url');
        const input = await validateInput(CreateUserDto, {
          email: options.email,
          password: options.password ?? generated,
          name: options.name,
          roleIds: [],
        });
        const created = await this.users.create(input);
        process.stdout.write(`created user ${input.email} (${created.id})\n`);
        user = await this.users.findByEmail(options.email);
      }
      const assigned = await this.users.assignRole(user!.id, role.id);
      if (options.platformAdmin) await this.users.update(user!.id, { platformAdmin: true });
      process.stdout.write(
        `${options.email} in ${options.tenant} now has role ${role.name}` +
          `${options.platformAdmin ? ' and is a platform administrator' : ''} (roles: ${assigned.roleIds.length})\n`,
      );
      if (generated) process.stdout.write(`generated password (shown once): ${generated}\n`);
    });
  }

  @Option({ flags: '--tenant <id-or-slug>', description: 'The tenant' })
  parseTenant(value: string): string {
    return value;
  }

  @Option({ flags: '--email <email>', description: "The user's e-mail" })
  parseEmail(value: string): string {
    return value;
  }

  @Option({ flags: '--role <name-or-id>', description: 'Role name (e.g. Manager) or id' })
  parseRole(value: string): string {
    return value;
  }

  @Option({ flags: '--create', description: 'Create the user when it does not exist' })
  parseCreate(): boolean {
    return true;
  }

  @Option({
    flags: '--password <password>',
    description: 'Password for --create (generated and printed when omitted)',
  })
  parsePassword(value: string): string {
    return value;
  }

  @Option({ flags: '--name <name>', description: 'Display name for --create' })
  parseName(value: string): string {
    return value;
  }

  @Option({ flags: '--platform-admin', description: 'Also make the user a platform administrator' })
  parsePlatformAdmin(): boolean {
    return true;
  }
}
