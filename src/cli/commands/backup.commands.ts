import { IsOptional, IsUUID, Matches } from 'class-validator';
import { Command, CommandRunner, Option } from 'nest-commander';
import { Inject } from '@nestjs/common';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { BackupJobs } from '../../modules/backups/index.js';
import { BackupMonitor } from '../../modules/backups/index.js';
import { BackupVerifier, DATABASE_NAME } from '../../modules/backups/index.js';
import type { BackupRecord } from '../../modules/backups/index.js';
import { databaseNameOf, maskedUrl } from '../../modules/backups/index.js';
import { validateInput } from './cli-input.js';

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function describeBackup(backup: BackupRecord): string {
  const size = backup.sizeBytes === null ? '' : `, ${(Number(backup.sizeBytes) / 1024 / 1024).toFixed(1)} MB`;
  return `backup ${backup.id} ${backup.status}${backup.fileName ? `: ${backup.fileName}` : ''}${size}`;
}

function describeVerification(backup: BackupRecord): string {
  const details = backup.verifyDetails;
  if (backup.verifyStatus === 'passed' && details) {
    return (
      `verification of ${backup.id} passed: ${details.tables?.checked} tables with the row counts of the dump, ` +
      `ledger checksum equal, ${details.reconciliation?.keysChecked} balance keys reconcile ` +
      `(restore ${details.restoreMs} ms, total ${details.durationMs} ms)`
    );
  }
  return `verification of ${backup.id} FAILED: ${details?.reasons.join('; ') ?? 'no details'}`;
}

class BackupIdInput {
  @IsOptional()
  @IsUUID()
  id?: string;
}

@Command({
  name: 'backup:create',
  description: 'Back up the whole database now (pg_dump -Fc into BACKUP_DIR), then verify it by restore',
})
export class BackupCreateCommand extends CommandRunner {
  constructor(private readonly jobs: BackupJobs) {
    super();
  }

  async run(_args: string[], options: { skipVerify?: boolean }): Promise<void> {
    const { backup, verified } = await this.jobs.backupAndVerify('cli', {
      verify: !options.skipVerify,
      onProgress: say,
    });
    say(describeBackup(backup));
    if (verified) {
      say(describeVerification(verified));
      if (verified.verifyStatus !== 'passed') process.exitCode = 1;
    }
  }

  @Option({ flags: '--skip-verify', description: 'Only make the backup; do not verify it by restore' })
  parseSkipVerify(): boolean {
    return true;
  }
}

@Command({
  name: 'verify:backup',
  arguments: '[id]',
  description:
    'Verify a backup by restoring it into a scratch database (default: the newest); exit 1 if it fails',
})
export class VerifyBackupCommand extends CommandRunner {
  constructor(private readonly jobs: BackupJobs) {
    super();
  }

  async run(args: string[]): Promise<void> {
    const { id } = await validateInput(BackupIdInput, { id: args[0] });
    const verified = await this.jobs.verify(id, say);
    say(describeVerification(verified));
    if (verified.verifyStatus !== 'passed') process.exitCode = 1;
  }
}

@Command({
  name: 'monitor:backups',
  description:
    'Check that a verified backup younger than BACKUP_MAX_AGE_HOURS exists and backups work; exit 1 on alert',
})
export class MonitorBackupsCommand extends CommandRunner {
  constructor(private readonly jobs: BackupJobs) {
    super();
  }

  async run(): Promise<void> {
    const health = await this.jobs.checkFreshness();
    if (health.status === 'ok') {
      say(
        `backups ok: newest verified backup ${health.newestVerifiedId} taken at ${health.newestVerifiedTakenAt} ` +
          `(verified ${health.newestVerifiedAt}; max age ${health.maxAgeHours} h)`,
      );
      return;
    }
    say(`BACKUP ALERT (${health.problems.length} problem(s)):`);
    for (const problem of health.problems) say(`  - ${problem}`);
    process.exitCode = 1;
  }
}

@Command({
  name: 'backups:prune',
  description:
    'Delete backups older than BACKUP_RETENTION_DAYS (files and rows), keeping the newest verified one',
})
export class PruneBackupsCommand extends CommandRunner {
  constructor(
    private readonly jobs: BackupJobs,
    private readonly monitor: BackupMonitor,
  ) {
    super();
  }

  async run(): Promise<void> {
    const report = await this.jobs.prune();
    for (const backup of report.deleted) say(`deleted backup ${backup.id} taken at ${backup.startedAt}`);
    say(
      `deleted ${report.deleted.length} backup(s); kept the newest verified one: ${report.kept ?? '(none)'}`,
    );
    await this.monitor.check();
  }
}

class RestoreInput {
  @IsUUID()
  id!: string;

  @Matches(DATABASE_NAME, { message: `targetDatabase must match ${DATABASE_NAME.source}` })
  targetDatabase!: string;
}

interface RestoreOptions {
  targetDatabase?: string;
  yes?: boolean;
  replaceLive?: boolean;
}

/**
 * Restores into a NEW database only. Replacing the live database in place is left to the operator on purpose
 * (docs/operations.md, "Restore"): it needs every replica stopped first, which this process cannot ensure.
 */
@Command({
  name: 'restore:backup',
  arguments: '[id]',
  description:
    'Restore a backup into a new database (--target-database <name> --yes), check it, and print how to use it',
})
export class RestoreBackupCommand extends CommandRunner {
  constructor(
    private readonly verifier: BackupVerifier,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
  ) {
    super();
  }

  async run(args: string[], options: RestoreOptions): Promise<void> {
    const live = databaseNameOf(this.endpoints.ownerUrl);
    if (options.replaceLive) {
      throw new Error(
        `--replace-live is not supported: this command never overwrites the live database "${live}". ` +
          `Restore into a new database (--target-database <name> --yes), stop every replica of the service, ` +
          `then point DATABASE_URL at the new database or swap the names with ALTER DATABASE ... RENAME ` +
          `(step by step in docs/operations.md, "Restore")`,
      );
    }
    const input = await validateInput(RestoreInput, { id: args[0], targetDatabase: options.targetDatabase });
    if (!options.yes) {
      throw new Error(
        `restore:backup creates the database ${input.targetDatabase} and loads backup ${input.id} into it; ` +
          `run it again with --yes to confirm`,
      );
    }
    const started = Date.now();
    const report = await this.verifier.restoreInto(input.id, input.targetDatabase, say);
    const details = report.details;
    if (details.reasons.length > 0) {
      say(
        `restore of backup ${report.backupId} into ${report.database} FAILED: ${details.reasons.join('; ')}`,
      );
      say(
        details.scratchDropped
          ? `the incomplete database ${report.database} was dropped`
          : `the database ${report.database} was kept for inspection; do not point the service at it`,
      );
      process.exitCode = 1;
      return;
    }
    say(
      `restored backup ${report.backupId} (taken ${report.takenAt}) into database ${report.database} in ` +
        `${((Date.now() - started) / 1000).toFixed(1)} s: ${details.tables?.checked} tables with the row counts of ` +
        `the dump, ledger checksum equal, ${details.reconciliation?.keysChecked} balance keys reconcile with the ledger`,
    );
    say('');
    say('To run the service on it:');
    say('  1. Stop every replica of the service (nothing may write to the old database any more).');
    say(`  2. Either set DATABASE_URL=${maskedUrl(this.endpoints.ownerUrl, report.database)}`);
    say(
      '     (*** is the password of the same role) and restart the service, which keeps the old database as it is;',
    );
    say('     or keep the configuration and swap the names, connected to another database of the server:');
    say(`       ALTER DATABASE "${live}" RENAME TO "${live}_before_restore";`);
    say(`       ALTER DATABASE "${report.database}" RENAME TO "${live}";`);
    say(
      '     With the embedded PostgreSQL (DATABASE_URL unset) use the rename, as in docs/operations.md ("Restore").',
    );
    say('  3. Start the service, check GET /health/ready, then run npm run reconcile:balances.');
  }

  @Option({ flags: '--target-database <name>', description: 'Name of the new database to restore into' })
  parseTargetDatabase(value: string): string {
    return value;
  }

  @Option({ flags: '--yes', description: 'Confirm: create the database and restore into it' })
  parseYes(): boolean {
    return true;
  }

  @Option({
    flags: '--replace-live',
    description: 'Not supported: refused with the manual steps (see docs/operations.md)',
  })
  parseReplaceLive(): boolean {
    return true;
  }
}
