import { join } from 'node:path';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type pg from 'pg';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import {
  type BackupRecord,
  BackupCatalogue,
  BackupNotFoundException,
  BackupNotVerifiableException,
} from './backup-catalogue.js';
import { type BackupManifest, digestFile, findManifest } from './backup-files.js';
import { BackupProcesses } from './backup-processes.js';
import { BackupPrerequisiteError, BackupTools } from './backup-tools.js';
import { compareBalancesWithLedger, readDatabaseFacts } from './database-facts.js';
import type { VerifyDetails } from './dto/backup.dto.js';
import { connectOwner, databaseNameOf, toolTarget } from './pg-connection.js';

/** What a dump file must prove: from the catalogue row, or from the manifest beside the file. */
type BackupSource = Pick<
  BackupManifest,
  'id' | 'fileName' | 'sha256' | 'sizeBytes' | 'tableCounts' | 'ledgerChecksum'
> & {
  startedAt: string;
};

export interface RestoreReport {
  source: 'catalogue' | 'manifest';
  backupId: string;
  takenAt: string;
  database: string;
  details: VerifyDetails;
}

/** Names PostgreSQL accepts unquoted, so the operator can type them in psql and DATABASE_URL as they are. */
export const DATABASE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Proves a backup by restoring it. verify(): sha256 of the file first; then pg_restore into a scratch database
 * `verify_<id without dashes>` on the same server; per-table row counts against those recorded in the dump's
 * snapshot; the ledger checksum; the balance reconciliation's comparison on the copy (read-only, nothing is
 * corrected); and the scratch database is dropped whatever happened. Every failure becomes a reason in
 * verify_details, never an exception. restoreInto() is the same into a new database that is kept (CLI only).
 */
@Injectable()
export class BackupVerifier {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly tools: BackupTools,
    private readonly catalogue: BackupCatalogue,
    private readonly processes: BackupProcesses,
  ) {}

  private get directory(): string {
    return resolveProjectPath(this.config.get('BACKUP_DIR', { infer: true }));
  }

  /** The caller holds the backup lock. Records and returns the outcome. */
  async verify(id: string, onProgress?: (line: string) => void): Promise<BackupRecord> {
    const control = await connectOwner(this.endpoints.ownerUrl);
    try {
      const record = await this.catalogue.find(id, control);
      if (!record) throw new BackupNotFoundException(id);
      if (record.status !== 'succeeded') throw new BackupNotVerifiableException(id, record.status);
      const progress = (line: string): void => {
        this.logger.log(`verify ${id}: ${line}`);
        onProgress?.(line);
      };
      const details = await this.restoreAndCheck(
        control,
        sourceOf(record),
        scratchDatabaseFor(id),
        false,
        progress,
      );
      const passed = details.reasons.length === 0;
      await control.query(
        `update backups set verified_at = now(), verify_status = $2, verify_details = $3::jsonb where id = $1`,
        [id, passed ? 'passed' : 'failed', JSON.stringify(details)],
      );
      if (passed) progress(`passed in ${details.durationMs} ms (restore ${details.restoreMs} ms)`);
      else this.logger.error(`verify ${id}: FAILED: ${details.reasons.join('; ')}`);
      return (await this.catalogue.find(id, control))!;
    } finally {
      await control.end();
    }
  }

  /**
   * Restores backup `id` into the new database `target` and runs the same checks on it. The backup is looked
   * up in the catalogue, or, when the catalogue does not know it (it lived in the lost database), in the
   * manifest beside the file in BACKUP_DIR. Refuses an existing database; drops the target again only if the
   * restore itself failed (a half-restored database is of no use).
   */
  async restoreInto(id: string, target: string, onProgress: (line: string) => void): Promise<RestoreReport> {
    if (!DATABASE_NAME.test(target)) {
      throw new Error(`--target-database must match ${DATABASE_NAME.source} (got "${target}")`);
    }
    const control = await connectOwner(this.endpoints.ownerUrl);
    try {
      const { source, from } = await this.findSource(id, control);
      const { rows } = await control.query(`select 1 from pg_database where datname = $1`, [target]);
      if (rows.length > 0 || target === databaseNameOf(this.endpoints.ownerUrl)) {
        throw new Error(
          `database ${target} already exists; restore:backup only restores into a new database (choose another name, or drop it yourself first)`,
        );
      }
      onProgress(
        `restoring backup ${source.id} (taken ${source.startedAt}, from the ${from}) into new database ${target}`,
      );
      const details = await this.restoreAndCheck(control, source, target, true, onProgress);
      return { source: from, backupId: source.id, takenAt: source.startedAt, database: target, details };
    } finally {
      await control.end();
    }
  }

  private async findSource(
    id: string,
    control: pg.Client,
  ): Promise<{ source: BackupSource; from: 'catalogue' | 'manifest' }> {
    // On a fresh server the catalogue table may not exist at all: then only the manifest can tell.
    const record = await this.catalogue.find(id, control).catch(() => undefined);
    if (record) {
      if (record.status !== 'succeeded') throw new BackupNotVerifiableException(id, record.status);
      return { source: sourceOf(record), from: 'catalogue' };
    }
    const manifest = await findManifest(this.directory, id);
    if (!manifest)
      throw new Error(`no backup ${id} in the catalogue, and no manifest for it in ${this.directory}`);
    return { source: manifest, from: 'manifest' };
  }

  private async restoreAndCheck(
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
    const identifier = control.escapeIdentifier(database);
    let created = false;
    let restored = false;
    try {
      const path = join(this.directory, source.fileName);
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
        return details;
      }
      progress(`file checksum ok (${actual.sizeBytes} bytes)`);

      const tools = await this.tools.locate();
      if (tools.createDatabaseProblem) throw new BackupPrerequisiteError(tools.createDatabaseProblem);
      // A scratch database left by a verification that crashed half-way.
      if (!keep) await control.query(`drop database if exists ${identifier} with (force)`);
      await control.query(`create database ${identifier} template template0`);
      created = true;
      const restoreStarted = Date.now();
      let tablesRestored = 0;
      const target = toolTarget(this.endpoints.ownerUrl, database);
      try {
        await this.processes.run({
          label: 'pg_restore',
          command: tools.pgRestore,
          // --no-owner: the copy belongs to the role restoring it, the owner role the service connects as,
          // even on a new server where the original owner's name does not exist.
          args: [
            '--exit-on-error',
            '--no-owner',
            '--verbose',
            '--no-password',
            `--dbname=${target.uri}`,
            path,
          ],
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
        return details;
      }
      restored = true;
      details.restoreMs = Date.now() - restoreStarted;
      progress(
        `pg_restore done in ${details.restoreMs} ms; comparing row counts, ledger checksum and balances`,
      );

      const copy = await connectOwner(
        this.endpoints.ownerUrl,
        database,
        'inventory-enterprise:backup-verify',
      );
      try {
        await copy.query('begin isolation level repeatable read read only');
        const facts = await readDatabaseFacts(copy);
        const balances = await compareBalancesWithLedger(copy);
        await copy.query('commit');
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
    } catch (error) {
      details.reasons.push((error as Error).message);
    } finally {
      if (created && (!keep || !restored)) {
        try {
          await control.query(`drop database if exists ${identifier} with (force)`);
          details.scratchDropped = true;
        } catch (error) {
          this.logger.error(
            `could not drop database ${database}: ${(error as Error).message}; drop it by hand`,
          );
        }
      }
      details.durationMs = Date.now() - started;
    }
    return details;
  }
}

/** `verify_<backup id without dashes>`: one per backup, so a leftover is recognisable and replaced. */
export function scratchDatabaseFor(id: string): string {
  return `verify_${id.replace(/-/g, '')}`;
}

function sourceOf(record: BackupRecord): BackupSource {
  return {
    id: record.id,
    fileName: record.fileName!,
    sha256: record.sha256!,
    sizeBytes: Number(record.sizeBytes),
    tableCounts: record.tableCounts ?? {},
    ledgerChecksum: record.ledgerChecksum ?? '',
    startedAt: record.startedAt.toISOString(),
  };
}
