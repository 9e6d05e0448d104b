import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type pg from 'pg';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { type BackupRecord, BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { BackupNotFoundException, BackupNotVerifiableException } from './backup-exceptions.js';
import { findManifest } from './backup-files.js';
import { type BackupSource, BackupRestore } from './backup-restore.service.js';
import type { VerifyDetails } from './dto/backup.dto.js';
import { connectOwner, databaseNameOf } from './pg-connection.js';
import { RestoreDatabasesRepository } from './restore-databases.repository.js';

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
 * Proves a backup by restoring it. verify(): the checks of BackupRestore on a scratch database
 * `verify_<id without dashes>` on the same server, dropped whatever happened; every failure is a reason in
 * verify_details, never an exception. restoreInto() is the same into a new database that is kept (CLI only).
 */
@Injectable()
export class BackupVerifier {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly catalogue: BackupCatalogueRepository,
    private readonly databases: RestoreDatabasesRepository,
    private readonly restore: BackupRestore,
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
      const details = await this.restore.restoreAndCheck(
        control,
        sourceOf(record),
        scratchDatabaseFor(id),
        false,
        progress,
      );
      const passed = details.reasons.length === 0;
      await this.catalogue.recordVerification(control, id, passed ? 'passed' : 'failed', details);
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
      if (
        (await this.databases.exists(control, target)) ||
        target === databaseNameOf(this.endpoints.ownerUrl)
      ) {
        throw new Error(
          `database ${target} already exists; restore:backup only restores into a new database (choose another name, or drop it yourself first)`,
        );
      }
      onProgress(
        `restoring backup ${source.id} (taken ${source.startedAt}, from the ${from}) into new database ${target}`,
      );
      const details = await this.restore.restoreAndCheck(control, source, target, true, onProgress);
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
