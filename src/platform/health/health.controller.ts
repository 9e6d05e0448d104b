import { Public } from '../access/access.decorators.js';
import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import {
  HealthCheck,
  type HealthCheckResult,
  HealthCheckService,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import type { Response } from 'express';
import type { DataSource } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from '../database/database.constants.js';
import { hasPendingMigrations } from '../database/schema-migrator.js';
import { READINESS_CHECKS, type ReadinessCheck } from './readiness-check.js';
import { ShutdownState } from './shutdown-state.js';

const CHECK_TIMEOUT_MS = 2000;

/** Liveness and readiness in terminus format, outside /api and outside any tenant. */
@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly typeOrm: TypeOrmHealthIndicator,
    @InjectDataSource() private readonly app: DataSource,
    @InjectDataSource(MAINTENANCE_DATA_SOURCE) private readonly owner: DataSource,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    private readonly shutdown: ShutdownState,
  ) {}

  @Get()
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP' })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOperation({
    summary:
      'Readiness: the database answers and every migration is applied; failing backups make it "degraded" ' +
      '(still 200 unless BACKUP_READINESS_REQUIRED=true)',
  })
  @ApiServiceUnavailableResponse({ description: 'Not ready; `error` names the failing checks' })
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    // Draining (SIGTERM/SIGINT): not ready, whatever the checks say, so balancers stop sending requests here.
    if (this.shutdown.shuttingDown) {
      response.status(503);
      const shutdown = { shutdown: { status: 'down' as const, message: 'the service is shutting down' } };
      return { status: 'shutting_down', info: {}, error: shutdown, details: shutdown };
    }
    try {
      return await this.health.check([
        () => this.typeOrm.pingCheck('database', { connection: this.app }).withTimeout(CHECK_TIMEOUT_MS),
        () =>
          this.indicators
            .check('migrations')
            .attempt(async () => {
              if (await hasPendingMigrations(this.owner)) throw new Error('pending migrations');
            })
            .withTimeout(CHECK_TIMEOUT_MS),
        ...this.checks.map((check) => () => check.readiness(this.indicators)),
      ]);
    } catch (error) {
      // Keep the terminus body (status, info, error, details) that load balancers and SREs read.
      if (error instanceof ServiceUnavailableException) {
        response.status(503);
        return error.getResponse() as HealthCheckResult;
      }
      throw error;
    }
  }
}
