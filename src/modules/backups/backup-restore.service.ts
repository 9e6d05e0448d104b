import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type pg from 'pg';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { type BackupManifest, digestFile } from './backup-files.js';
import { BackupProcesses } from './backup-processes.js';
import { type BackupToolchain, BackupPrerequisiteError, BackupTools } from './backup-tools.js';
import {
  beginSnapshot,
  commitSnapshot,
  compareBalancesWithLedger,
  readDatabaseFacts,
} from './database-facts.js';
import type { VerifyDetails } from './dto/backup.dto.js';
import { connectOwner, toolTarget } from './pg-connection.js';
import { RestoreDatabasesRepository } from './restore-databases.repository.js';

/** What a dump file must prove: from the catalogue row, or from the manifest beside the file. */
export type BackupSource = Pick<
  BackupManifest,
  'id' | 'fileName' | 'sha256' | 'sizeBytes' | 'tableCounts' | 'ledgerChecksum'
> & {
  startedAt: string;
};

/**
 * The steps of a verification by restore, in order: sha256 of the file; pg_restore into a new database on the
 * same server; per-table row counts against those recorded in the dump's snapshot; the ledger checksum; the
 * balance reconciliation's comparison on the copy (read-only, nothing is corrected). Every failure becomes a
 * reason in the details, never an exception. BackupVerifier decides which backup, which database and whether
 * the copy is kept.
 */
@Injectable()
export class BackupRestore {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly tools: BackupTools,
    private readonly processes: BackupProcesses,
    private readonly databases: RestoreDatabasesRepository,
  ) {}

  private get directory(): string {
    return resolveProjectPath(this.config.get('BACKUP_DIR', { infer: true }));
  }

  /**
   * Restores `source` into `database` and checks the copy. Without `keep` the database is a scratch copy,
   * dropped whatever happened (and a leftover of the same name replaced first); with it, it is dropped only
   * if the restore itself failed (a half-restored database is of no use).
   */
  async restoreAndCheck(
    control: pg.Client,
    source: BackupSource,
    database: string,
    keep: boolean,
    progress: (line: string) => void,
  ): Promise<VerifyDetails> {
    const started = Date.now();
    const details: VerifyDetails = {
      reasons: [],
      scratchDatabase: database,
      scratchDropped: false,
      durationMs: 0,
    };
    let created = false;
    let restored = false;
    try {
      const path = join(this.directory, source.fileName);
      if (!(await this.checkFile(path, source, details, progress))) return details;

      const tools = await this.tools.locate();
      if (tools.createDatabaseProblem) throw new BackupPrerequisiteError(tools.createDatabaseProblem);
      // A scratch database left by a verification that crashed half-way.
      if (!keep) await this.databases.dropIfExists(control, database);
      await this.databases.create(control, database);
      created = true;
      restored = await this.restore(tools, path, database, details, progress);
      if (!restored) return details;
      progress(
        `pg_restore done in ${details.restoreMs} ms; comparing row counts, ledger checksum and balances`,
      );
      await this.checkCopy(source, database, details);
    } catch (error) {
      details.reasons.push((error as Error).message);
    } finally {
      if (created && (!keep || !restored)) await this.drop(control, database, details);
      details.durationMs = Date.now() - started;
    }
    return details;
  }

  /** sha256 and size of the file against the recorded ones; false (the reason recorded) when they differ. */
  private async checkFile(
    path: string,
    source: BackupSource,
    details: VerifyDetails,
    progress: (line: string) => void,
  ): Promise<boolean> {
    const actual = await digestFile(path).catch((error: NodeJS.ErrnoException) => {
      throw new Error(
        error.code === 'ENOENT'
          ? `the file ${source.fileName} is missing from ${this.directory}`
          : error.message,
      );
    });
    details.file = {
      expectedSha256: source.sha256,
      actualSha256: actual.sha256,
      expectedSizeBytes: source.sizeBytes,
      actualSizeBytes: actual.sizeBytes,
    };
    if (actual.sha256 !== source.sha256) {
      details.reasons.push(
        `sha256 mismatch: the file is not the one that was written (${actual.sizeBytes} bytes, ` +
          `${source.sizeBytes} catalogued): truncated, altered or replaced`,
      );
      return false;
    }
    progress(`file checksum ok (${actual.sizeBytes} bytes)`);
    return true;
  }

  /** pg_restore of the file into `database`; false (the reason recorded) when it failed. */
  private async restore(
    tools: BackupToolchain,
    path: string,
    database: string,
    details: VerifyDetails,
    progress: (line: string) => void,
  ): Promise<boolean> {
    const restoreStarted = Date.now();
    let tablesRestored = 0;
    const target = toolTarget(this.endpoints.ownerUrl, database);
    try {
      await this.processes.run({
        label: 'pg_restore',
        command: tools.pgRestore,
        // --no-owner: the copy belongs to the role restoring it, the owner role the service connects as,
        // even on a new server where the original owner's name does not exist.
        args: ['--exit-on-error', '--no-owner', '--verbose', '--no-password', `--dbname=${target.uri}`, path],
        password: target.password,
        timeoutMs: this.config.get('BACKUP_TIMEOUT_MS', { infer: true }),
        onStderrLine: (line) => {
          if (!line.includes('processing data for table')) return;
          tablesRestored += 1;
          if (tablesRestored % 10 === 0) progress(`pg_restore: ${tablesRestored} tables loaded`);
        },
      });
    } catch (error) {
      details.reasons.push(`pg_restore failed: ${(error as Error).message}`);
      return false;
    }
    details.restoreMs = Date.now() - restoreStarted;
    return true;
  }

  /** Row counts, ledger checksum and balances of the copy, read in one snapshot, against the source's. */
  private async checkCopy(source: BackupSource, database: string, details: VerifyDetails): Promise<void> {
    const copy = await connectOwner(this.endpoints.ownerUrl, database, 'inventory-enterprise:backup-verify');
    try {
      await beginSnapshot(copy);
      const facts = await readDatabaseFacts(copy);
      const balances = await compareBalancesWithLedger(copy);
      await commitSnapshot(copy);
      const names = [
        ...new Set([...Object.keys(source.tableCounts), ...Object.keys(facts.tableCounts)]),
      ].sort();
      const mismatched = names
        .filter((table) => source.tableCounts[table] !== facts.tableCounts[table])
        .map((table) => ({
          table,
          expected: source.tableCounts[table] ?? null,
          actual: facts.tableCounts[table] ?? null,
        }));
      details.tables = { checked: names.length, mismatched };
      details.ledgerChecksum = { expected: source.ledgerChecksum, actual: facts.ledgerChecksum };
      details.reconciliation = balances;
      if (mismatched.length > 0) {
        details.reasons.push(
          `row counts differ in ${mismatched.length} table(s): ` +
            mismatched
              .map((m) => `${m.table} ${m.actual ?? 'missing'} (expected ${m.expected ?? 'none'})`)
              .join(', '),
        );
      }
      if (facts.ledgerChecksum !== source.ledgerChecksum) {
        details.reasons.push('the ledger checksum of the copy differs from the one taken at dump time');
      }
      if (balances.driftKeys > 0) {
        details.reasons.push(
          `${balances.driftKeys} of ${balances.keysChecked} balance(s) on the copy differ from their ledger sum`,
        );
      }
    } finally {
      await copy.end();
    }
  }

  /** A database that is not to be kept; a failure to drop it is logged, never the verification's outcome. */
  private async drop(control: pg.Client, database: string, details: VerifyDetails): Promise<void> {
    try {
      await this.databases.dropIfExists(control, database);
      details.scratchDropped = true;
    } catch (error) {
      this.logger.error(`could not drop database ${database}: ${(error as Error).message}; drop it by hand`);
    }
  }
}
