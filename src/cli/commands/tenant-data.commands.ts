import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command, CommandRunner } from 'nest-commander';
import { AuditRetention } from '../../modules/audit/index.js';
import { TenantExportService } from '../../modules/tenant-export/index.js';
import { TenantsService } from '../../modules/tenants/index.js';

@Command({
  name: 'tenant:export',
  arguments: '<tenant>',
  description:
    'Write a tenant (id or slug) as NDJSON to stdout, as GET /api/tenant/export does; progress on stderr',
})
export class TenantExportCommand extends CommandRunner {
  constructor(
    private readonly tenants: TenantsService,
    private readonly exports: TenantExportService,
  ) {
    super();
  }

  async run([reference]: string[]): Promise<void> {
    const tenant = await this.tenants.get(reference);
    process.stderr.write(`exporting tenant ${tenant.slug} (${tenant.id})\n`);
    // Not pipeline(…, process.stdout): that would end stdout. Each write waits for stdout (backpressure).
    const stdout = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (process.stdout.write(chunk)) done();
        else process.stdout.once('drain', () => done());
      },
    });
    await pipeline(
      this.exports.lines(tenant.id, (kind, rows) => process.stderr.write(`  ${kind}: ${rows}\n`)),
      stdout,
    );
    process.stderr.write('done\n');
  }
}

@Command({
  name: 'audit:purge',
  description: 'Delete audit entries older than AUDIT_RETENTION_DAYS (the daily cron job, once now)',
})
export class AuditPurgeCommand extends CommandRunner {
  constructor(private readonly retention: AuditRetention) {
    super();
  }

  async run(): Promise<void> {
    const result = await this.retention.purge((line) => process.stderr.write(`${line}\n`));
    process.stdout.write(`deleted ${result.changes} change(s) and ${result.denials} denial(s)\n`);
  }
}
