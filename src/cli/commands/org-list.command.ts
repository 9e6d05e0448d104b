import { Command, CommandRunner, Option } from 'nest-commander';
import type { TenantView } from '../../modules/tenants/index.js';
import { TenantsService } from '../../modules/tenants/index.js';

@Command({ name: 'org:list', description: 'List tenants (organizations)' })
export class OrgListCommand extends CommandRunner {
  constructor(private readonly tenants: TenantsService) {
    super();
  }

  async run(_args: string[], options: { json?: boolean }): Promise<void> {
    const all: TenantView[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.tenants.list({ limit: 500, cursor });
      all.push(...page.data);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);

    if (options.json) {
      process.stdout.write(`${JSON.stringify(all, null, 2)}\n`);
      return;
    }
    const rows = [
      ['ID', 'SLUG', 'NAME', 'STATUS', 'CREATED'],
      ...all.map((t) => [t.id, t.slug, t.name, t.status, t.createdAt]),
    ];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    for (const row of rows) {
      process.stdout.write(
        `${row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd()}\n`,
      );
    }
    process.stdout.write(`${all.length} tenant(s)\n`);
  }

  @Option({ flags: '--json', description: 'Print JSON instead of a table' })
  parseJson(): boolean {
    return true;
  }
}
