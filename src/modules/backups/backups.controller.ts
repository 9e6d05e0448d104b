import { Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiConflictResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { PlatformAdmin } from '../../platform/access/access.decorators.js';
import { PageQueryDto } from '../../platform/http/pagination/pagination.js';
import { BackupJobs } from './backup-jobs.service.js';
import { BackupQueries } from './backup-queries.service.js';
import { presentBackup } from './backup.presenter.js';
import { BackupPageView, BackupStartedView, BackupView } from './dto/backup.dto.js';

/** Backups of the whole database: platform administrators only (docs/api-contract.md, "Backups"). */
@ApiTags('platform')
@Controller('api/backups')
export class BackupsController {
  constructor(
    private readonly jobs: BackupJobs,
    private readonly queries: BackupQueries,
  ) {}

  @Post()
  @PlatformAdmin()
  @HttpCode(202)
  @ApiOperation({
    summary:
      'Start a full backup now (pg_dump of the whole database); poll GET /api/backups/:id for the outcome',
  })
  @ApiAcceptedResponse({ type: BackupStartedView })
  @ApiConflictResponse({ description: 'backup-in-progress: another backup or verification is running' })
  start(): Promise<BackupStartedView> {
    return this.jobs.start('api');
  }

  @Get()
  @PlatformAdmin()
  @ApiOperation({ summary: 'Backups, newest first' })
  @ApiOkResponse({ type: BackupPageView })
  list(@Query() query: PageQueryDto): Promise<BackupPageView> {
    return this.queries.list(query);
  }

  @Get(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'A backup with its verification outcome' })
  @ApiOkResponse({ type: BackupView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<BackupView> {
    return this.queries.get(id);
  }

  @Post(':id/verify')
  @PlatformAdmin()
  @HttpCode(200)
  @ApiOperation({
    summary:
      'Verify by restore: checksum, pg_restore into a scratch database, row counts, ledger checksum and balance ' +
      'reconciliation on the copy; answers when done (a failed verification is verifyStatus "failed", not an error)',
  })
  @ApiOkResponse({ type: BackupView })
  @ApiConflictResponse({
    description:
      'backup-in-progress: another backup or verification is running; backup-not-verifiable: it failed',
  })
  async verify(@Param('id', ParseUUIDPipe) id: string): Promise<BackupView> {
    return presentBackup(await this.jobs.verify(id));
  }
}
