import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type pg from 'pg';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { type BackupRecord, BackupCatalogueRepository } from './backup-catalogue.repository.js';
import { type BackupManifest, dumpFileName, partialFileName, writeManifest } from './backup-files.js';
import { BackupProcesses } from './backup-processes.js';
import { type BackupToolchain, BackupTools } from './backup-tools.js';
import {
  beginSnapshot,
  CATALOGUE_TABLE,
  commitSnapshot,
  type DatabaseFacts,
  exportSnapshot,
  readDatabaseFacts,
} from './database-facts.js';
import type { BackupTrigger } from './dto/backup.dto.js';
import { connectOwner, toolTarget } from './pg-connection.js';

export interface CreateOptions {
  /** Called once the catalogue row is committed (POST /api/backups answers with its id then). */
  onStarted?: (id: string) => void;
  onProgress?: (line: string) => void;
}

const PROGRESS_EVERY_MS = 5000;
const MB = 1024 * 1024;

/**
 * Makes one backup: `pg_dump -Fc` of the whole database into BACKUP_DIR, catalogued in `backups`. The caller
 * holds the backup lock (BackupJobs). All database work runs on connections of its own, not the owner pool.
 *
 * Consistency: a REPEATABLE READ transaction exports its snapshot, pg_dump runs with --snapshot on it, and the
 * per-table row counts and the ledger checksum are read in that same transaction, so they describe exactly
 * the rows in the file. The file is written under a temporary name, hashed as it streams, fsynced, then renamed.
 */
@Injectable()
export class BackupService {
  private readonly logger = new Logger('Backups');

  constructor(
    private readonly config: ConfigService<Environment, true>,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly tools: BackupTools,
    private readonly catalogue: BackupCatalogueRepository,
    private readonly processes: BackupProcesses,
  ) {}

  get directory(): string {
    return resolveProjectPath(this.config.get('BACKUP_DIR', { infer: true }));
  }

  async create(trigger: BackupTrigger, options: CreateOptions = {}): Promise<BackupRecord> {
    const control = await connectOwner(this.endpoints.ownerUrl);
    try {
      await this.failInterrupted(control);
      const { id, startedAt } = await this.catalogue.insertRunning(control, trigger);
      options.onStarted?.(id);
      const progress = (line: string): void => {
        this.logger.log(`backup ${id}: ${line}`);
        options.onProgress?.(line);
      };
      const started = Date.now();
      const partial = join(this.directory, partialFileName(id));
      try {
        const tools = await this.tools.locate();
        await mkdir(this.directory, { recursive: true, mode: 0o700 });
        progress(
          `pg_dump started (${tools.pgDumpVersion}; server ${tools.serverVersion}) into ${this.directory}`,
        );
        const dump = await this.dump(tools, partial, progress);
        const fileName = dumpFileName(startedAt, id);
        await rename(partial, join(this.directory, fileName));
        const manifest: BackupManifest = {
          id,
          fileName,
          startedAt: startedAt.toISOString(),
          sizeBytes: dump.sizeBytes,
          sha256: dump.sha256,
          tableCounts: dump.facts.tableCounts,
          ledgerChecksum: dump.facts.ledgerChecksum,
          pgDumpVersion: tools.pgDumpVersion,
          serverVersion: tools.serverVersion,
        };
        await writeManifest(this.directory, manifest);
        await this.catalogue.recordSucceeded(control, manifest);
        progress(
          `succeeded: ${fileName}, ${(dump.sizeBytes / MB).toFixed(1)} MB, ` +
            `${Object.keys(dump.facts.tableCounts).length} tables, in ${Date.now() - started} ms`,
        );
      } catch (error) {
        await rm(partial, { force: true });
        const message = (error as Error).message;
        await this.catalogue.recordFailed(control, id, message);
        this.logger.error(`backup ${id} failed: ${message}`);
        throw error;
      }
      return (await this.catalogue.find(id, control))!;
    } finally {
      await control.end();
    }
  }

  /**
   * Rows left `running` by a process that died mid-dump (the caller holds the lock, so nothing else runs), and
   * their partial files.
   */
  private async failInterrupted(control: pg.Client): Promise<void> {
    const ids = await this.catalogue.failRunning(
      control,
      'interrupted: the process running it stopped before it finished',
    );
    for (const id of ids) {
      await rm(join(this.directory, partialFileName(id)), { force: true });
      this.logger.warn(`backup ${id} was left running by a stopped process; marked failed`);
    }
  }

  private async dump(
    tools: BackupToolchain,
    path: string,
    progress: (line: string) => void,
  ): Promise<{ sizeBytes: number; sha256: string; facts: DatabaseFacts }> {
    const snapshot = await connectOwner(
      this.endpoints.ownerUrl,
      undefined,
      'inventory-enterprise:backup-snapshot',
    );
    let snapshotOpen = true;
    const closeSnapshot = async (): Promise<void> => {
      if (!snapshotOpen) return;
      snapshotOpen = false;
      await snapshot.end().catch(() => undefined);
    };
    const hash = createHash('sha256');
    let sizeBytes = 0;
    let tablesDumped = 0;
    const ticker = setInterval(
      () => progress(`${(sizeBytes / MB).toFixed(1)} MB written, ${tablesDumped} tables dumped so far`),
      PROGRESS_EVERY_MS,
    );
    try {
      await beginSnapshot(snapshot);
      const snapshotId = await exportSnapshot(snapshot);
      const target = toolTarget(this.endpoints.ownerUrl);
      const counting = new AbortController();
      const dumping = this.processes.run({
        label: 'pg_dump',
        command: tools.pgDump,
        args: [
          '--format=custom',
          `--snapshot=${snapshotId}`,
          // The catalogue describes files on this host, not business data; a restored copy starts without it.
          `--exclude-table-data=public.${CATALOGUE_TABLE}`,
          '--verbose',
          '--no-password',
          `--dbname=${target.uri}`,
        ],
        password: target.password,
        timeoutMs: this.config.get('BACKUP_TIMEOUT_MS', { infer: true }),
        signal: counting.signal,
        onStderrLine: (line) => {
          if (line.includes('dumping contents of table')) tablesDumped += 1;
        },
        consumeStdout: (stdout) =>
          pipeline(
            stdout,
            new Transform({
              transform(chunk: Buffer, _encoding, callback) {
                hash.update(chunk);
                sizeBytes += chunk.length;
                callback(null, chunk);
              },
            }),
            createWriteStream(path, { flags: 'wx', mode: 0o600 }),
          ),
      });
      // Counted while pg_dump streams, in the transaction whose snapshot it imported: the same rows.
      const reading = readDatabaseFacts(snapshot);
      // Whichever fails first stops the other: nobody waits for counts of a failed dump, or a dump without counts.
      dumping.catch(closeSnapshot);
      reading.catch((error: unknown) => counting.abort(error));
      const [dumped, facts] = await Promise.allSettled([dumping, reading]);
      if (dumped.status === 'rejected') throw dumped.reason;
      if (facts.status === 'rejected') throw facts.reason;
      await commitSnapshot(snapshot);
      // Durable before it is catalogued as a backup.
      const file = await open(path, 'r');
      try {
        await file.sync();
      } finally {
        await file.close();
      }
      return { sizeBytes, sha256: hash.digest('hex'), facts: facts.value };
    } finally {
      clearInterval(ticker);
      await closeSnapshot();
    }
  }
}
