import { ApiProperty } from '@nestjs/swagger';

export type BackupStatus = 'running' | 'succeeded' | 'failed';
export type VerifyStatus = 'passed' | 'failed';
export type BackupTrigger = 'cron' | 'api' | 'cli';

/** What verification found; `reasons` is empty when it passed. */
export interface VerifyDetails {
  reasons: string[];
  scratchDatabase: string;
  file?: { expectedSha256: string; actualSha256: string; expectedSizeBytes: number; actualSizeBytes: number };
  restoreMs?: number;
  tables?: {
    checked: number;
    mismatched: Array<{ table: string; expected: number | null; actual: number | null }>;
  };
  ledgerChecksum?: { expected: string; actual: string };
  reconciliation?: { keysChecked: number; driftKeys: number; drifts: unknown[] };
  scratchDropped: boolean;
  durationMs: number;
}

export class BackupView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['running', 'succeeded', 'failed'] }) status!: BackupStatus;
  @ApiProperty({ enum: ['cron', 'api', 'cli'], description: 'What started it' }) trigger!: BackupTrigger;
  @ApiProperty({ description: 'When the dump started; its snapshot is of this moment' }) startedAt!: string;
  @ApiProperty({ nullable: true, type: String }) finishedAt!: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'File name in BACKUP_DIR' })
  fileName!: string | null;
  @ApiProperty({ nullable: true, type: Number }) sizeBytes!: number | null;
  @ApiProperty({ nullable: true, type: String, description: 'sha256 of the file, hex' }) sha256!:
    string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When verification by restore last ran' })
  verifiedAt!: string | null;
  @ApiProperty({ nullable: true, enum: ['passed', 'failed'], description: 'null: not verified yet' })
  verifyStatus!: VerifyStatus | null;
  @ApiProperty({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    description:
      'reasons (empty when passed), file checksum, restore duration, per-table row counts that differ, ledger ' +
      'checksum, balance reconciliation on the copy, whether the scratch database was dropped',
  })
  verifyDetails!: VerifyDetails | null;
  @ApiProperty({ nullable: true, type: String, description: 'Why the backup failed' }) error!: string | null;
  @ApiProperty({ nullable: true, type: String }) pgDumpVersion!: string | null;
  @ApiProperty({ nullable: true, type: String }) serverVersion!: string | null;
}

export class BackupStartedView {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: ['running'] }) status!: 'running';
}

export class BackupPageView {
  @ApiProperty({ type: [BackupView], description: 'Newest first' }) data!: BackupView[];
  @ApiProperty({ nullable: true, type: String }) nextCursor!: string | null;
}
