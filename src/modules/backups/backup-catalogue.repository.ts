import { Injectable } from '@nestjs/common';
import type pg from 'pg';
import { SqlParameters, keysetSql } from '../../platform/http/pagination/keyset-sql.js';
import { MaintenanceDatabase } from '../../platform/database/maintenance-database.js';
import type { BackupManifest } from './backup-files.js';
import { BackupNotFoundException } from './backup-exceptions.js';
import type { BackupStatus, BackupTrigger, VerifyDetails, VerifyStatus } from './dto/backup.dto.js';

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

/** What a successful dump records: the manifest's facts, without started_at (the row has it already). */
export type SucceededBackup = Omit<BackupManifest, 'startedAt'>;

export interface ExpiredBackup {
  id: string;
  fileName: string | null;
  startedAt: Date;
}

const COLUMNS = `id, status, trigger, started_at as "startedAt", finished_at as "finishedAt", file_name as "fileName",
  size_bytes::text as "sizeBytes", sha256, table_counts as "tableCounts", ledger_checksum as "ledgerChecksum",
  pg_dump_version as "pgDumpVersion", server_version as "serverVersion", error, verified_at as "verifiedAt",
  verify_status as "verifyStatus", verify_details as "verifyDetails", started_at::text as position`;

/** The order key of the list, newest first: the cursor holds `position` (started_at as text) and id. */
const LIST_ORDER = ['started_at', 'id'];

/**
 * The `backups` table, through the owner connection. Reads for the API and the monitor use the owner pool
 * (short statements only); the statements of a running job take the job's own connection (`client`), so a
 * job never waits for, or starves, the pool (see BackupService).
 */
@Injectable()
export class BackupCatalogueRepository {
  constructor(private readonly maintenance: MaintenanceDatabase) {}

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

  /** The newest backup that passed verification, the newest that is not running and the newest success. */
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

  /** `limit + 1` backups after the (position, id) cursor, newest first, for pageFromRows. */
  list(after: string[] | undefined, limit: number): Promise<BackupRecord[]> {
    const parameters = new SqlParameters();
    const page = keysetSql(parameters, LIST_ORDER, after, limit, 'desc');
    return this.maintenance.owner.query<BackupRecord[]>(
      `select ${COLUMNS} from backups where ${page.where} order by ${page.orderBy} limit ${page.limit}`,
      parameters.values,
    );
  }

  /** The new row, `running`; started_at is the moment its snapshot is of. */
  async insertRunning(client: pg.Client, trigger: BackupTrigger): Promise<{ id: string; startedAt: Date }> {
    const { rows } = await client.query<{ id: string; startedAt: Date }>(
      `insert into backups (status, trigger) values ('running', $1) returning id, started_at as "startedAt"`,
      [trigger],
    );
    return rows[0];
  }

  /** Marks every `running` row failed with `reason`; returns their ids. */
  async failRunning(client: pg.Client, reason: string): Promise<string[]> {
    const { rows } = await client.query<{ id: string }>(
      `update backups set status = 'failed', finished_at = now(), error = $1 where status = 'running' returning id`,
      [reason],
    );
    return rows.map((row) => row.id);
  }

  async recordSucceeded(client: pg.Client, backup: SucceededBackup): Promise<void> {
    await client.query(
      `update backups
          set status = 'succeeded', finished_at = now(), file_name = $2, size_bytes = $3, sha256 = $4,
              table_counts = $5::jsonb, ledger_checksum = $6, pg_dump_version = $7, server_version = $8
        where id = $1`,
      [
        backup.id,
        backup.fileName,
        backup.sizeBytes,
        backup.sha256,
        JSON.stringify(backup.tableCounts),
        backup.ledgerChecksum,
        backup.pgDumpVersion,
        backup.serverVersion,
      ],
    );
  }

  async recordFailed(client: pg.Client, id: string, error: string): Promise<void> {
    await client.query(
      `update backups set status = 'failed', finished_at = now(), error = $2 where id = $1`,
      [id, error],
    );
  }

  async recordVerification(
    client: pg.Client,
    id: string,
    status: VerifyStatus,
    details: VerifyDetails,
  ): Promise<void> {
    await client.query(
      `update backups set verified_at = now(), verify_status = $2, verify_details = $3::jsonb where id = $1`,
      [id, status, JSON.stringify(details)],
    );
  }

  /** The id of the newest backup that passed verification. */
  async newestVerifiedId(): Promise<string | undefined> {
    const [row] = await this.maintenance.owner.query<Array<{ id: string }>>(
      `select id from backups where verify_status = 'passed' order by started_at desc, id desc limit 1`,
    );
    return row?.id;
  }

  /** Finished backups started more than `days` days ago, oldest first, except backup `keep`. */
  expired(days: number, keep: string | null): Promise<ExpiredBackup[]> {
    return this.maintenance.owner.query<ExpiredBackup[]>(
      `select id, file_name as "fileName", started_at as "startedAt" from backups
        where started_at < now() - make_interval(days => $1) and status <> 'running'
          and id is distinct from $2::uuid
        order by started_at`,
      [days, keep],
    );
  }

  async delete(id: string): Promise<void> {
    await this.maintenance.owner.query(`delete from backups where id = $1`, [id]);
  }
}
