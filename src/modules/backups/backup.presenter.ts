import type { BackupRecord } from './backup-catalogue.repository.js';
import type { BackupView } from './dto/backup.dto.js';

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
