import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import {
  decodeKeyCursor,
  encodeKeyCursor,
  type Page,
  type PageQueryDto,
} from '../../platform/http/pagination/pagination.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import type {
  BackupStatus,
  BackupTrigger,
  BackupView,
  VerifyDetails,
  VerifyStatus,
} from './dto/backup.dto.js';

export class BackupNotFoundException extends DomainException {
  constructor(id: string) {
    super(404, 'not-found', 'Not found', `No backup ${id}`);
  }
}

export class BackupInProgressException extends DomainException {
  constructor() {
    super(
      409,
      'backup-in-progress',
      'Backup in progress',
      'Another backup, verification or retention run holds the backup lock; try again when it has finished',
    );
  }
}

export class BackupNotVerifiableException extends DomainException {
  constructor(id: string, status: BackupStatus) {
    super(
      409,
      'backup-not-verifiable',
      'Backup cannot be verified',
      status === 'running'
        ? `Backup ${id} is still running`
        : `Backup ${id} failed; there is no file to verify`,
    );
  }
}

/** A catalogue row as the service reads it. */
export interface BackupRecord {
  id: string;
  status: BackupStatus;
  trigger: BackupTrigger;
  startedAt: Date;
  finishedAt: Date | null;
  fileName: string | null;
  sizeBytes: string | null;
  sha256: string | null;
  tableCounts: Record<string, number> | null;
  ledgerChecksum: string | null;
  pgDumpVersion: string | null;
  serverVersion: string | null;
  error: string | null;
  verifiedAt: Date | null;
  verifyStatus: VerifyStatus | null;
  verifyDetails: VerifyDetails | null;
  /** started_at as PostgreSQL prints it (microseconds kept), for cursors. */
  position: string;
}

const COLUMNS = `id, status, trigger, started_at as "startedAt", finished_at as "finishedAt", file_name as "fileName",
  size_bytes::text as "sizeBytes", sha256, table_counts as "tableCounts", ledger_checksum as "ledgerChecksum",
  pg_dump_version as "pgDumpVersion", server_version as "serverVersion", error, verified_at as "verifiedAt",
  verify_status as "verifyStatus", verify_details as "verifyDetails", started_at::text as position`;

const TIMESTAMP = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,6})?[+-]\d\d(:\d\d)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function presentBackup(row: BackupRecord): BackupView {
  return {
    id: row.id,
    status: row.status,
    trigger: row.trigger,
    startedAt: row.startedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
    fileName: row.fileName,
    sizeBytes: row.sizeBytes === null ? null : Number(row.sizeBytes),
    sha256: row.sha256,
    verifiedAt: row.verifiedAt?.toISOString() ?? null,
    verifyStatus: row.verifyStatus,
    verifyDetails: row.verifyDetails,
    error: row.error,
    pgDumpVersion: row.pgDumpVersion,
    serverVersion: row.serverVersion,
  };
}

/** Reads of the `backups` table, on the owner pool (short statements only; long jobs use their own connection). */
@Injectable()
export class BackupCatalogue {
  constructor(private readonly maintenance: MaintenanceDatabase) {}

  /** `client`: a job's own connection, so a job never waits for the pool (see BackupService). */
  async find(id: string, client?: pg.Client): Promise<BackupRecord | undefined> {
    const sql = `select ${COLUMNS} from backups where id = $1`;
    const rows = client
      ? (await client.query<BackupRecord>(sql, [id])).rows
      : await this.maintenance.owner.query<BackupRecord[]>(sql, [id]);
    return rows[0];
  }

  async get(id: string): Promise<BackupRecord> {
    const row = await this.find(id);
    if (!row) throw new BackupNotFoundException(id);
    return row;
  }

  /** The newest backup whose dump succeeded (what `verify:backup` without an id verifies). */
  async newestSucceeded(): Promise<BackupRecord | undefined> {
    const rows = await this.maintenance.owner.query<BackupRecord[]>(
      `select ${COLUMNS} from backups where status = 'succeeded' order by started_at desc, id desc limit 1`,
    );
    return rows[0];
  }

  /** The newest backup that passed verification, and the newest that is not running (for the monitor). */
  async newest(): Promise<{ verified?: BackupRecord; finished?: BackupRecord; succeeded?: BackupRecord }> {
    const rows = await this.maintenance.owner.query<Array<BackupRecord & { kind: string }>>(
      `(select 'verified' as kind, ${COLUMNS} from backups where verify_status = 'passed'
         order by started_at desc, id desc limit 1)
       union all
       (select 'finished' as kind, ${COLUMNS} from backups where status <> 'running'
         order by started_at desc, id desc limit 1)
       union all
       (select 'succeeded' as kind, ${COLUMNS} from backups where status = 'succeeded'
         order by finished_at desc, id desc limit 1)`,
    );
    return Object.fromEntries(rows.map((row) => [row.kind, row]));
  }

  /** Newest first, keyset-paginated on (started_at, id). */
  async list(query: PageQueryDto): Promise<Page<BackupView>> {
    const after = decodeKeyCursor(query.cursor, [TIMESTAMP, UUID]);
    const rows = await this.maintenance.owner.query<BackupRecord[]>(
      `select ${COLUMNS} from backups
        where $1::timestamptz is null or (started_at, id) < ($1::timestamptz, $2::uuid)
        order by started_at desc, id desc
        limit $3`,
      [after?.[0] ?? null, after?.[1] ?? null, query.limit + 1],
    );
    const more = rows.length > query.limit;
    const shown = more ? rows.slice(0, query.limit) : rows;
    const last = shown.at(-1);
    return {
      data: shown.map(presentBackup),
      nextCursor: more && last ? encodeKeyCursor([last.position, last.id]) : null,
    };
  }
}
