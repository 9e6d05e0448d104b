import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { SingleStatement } from '../../platform/tenancy/tenant-transaction.interceptor.js';
import { RequireFeature } from '../feature-flags/index.js';
import { TenantExportService } from './tenant-export.service.js';

@ApiTags('tenant')
@Controller('api/tenant')
export class TenantExportController {
  constructor(
    private readonly exports: TenantExportService,
    private readonly context: TenantContext,
  ) {}

  @Get('export')
  @RequirePermissions('tenant:export')
  @RequireFeature('export')
  // The export opens its own snapshot transaction; no request transaction around it.
  @SingleStatement()
  @ApiProduces('application/x-ndjson')
  @ApiOkResponse({ description: 'NDJSON, one JSON object per line', schema: { type: 'string' } })
  @ApiOperation({
    summary: 'The tenant’s complete data as NDJSON, streamed',
    description:
      'One JSON object per line with a `kind` (tenant, item, item_uom, location, lot, user, role, role_permission, ' +
      'user_role, api_key, webhook_endpoint, movement, ledger, balance, count_sheet, count_line, audit_log, ' +
      'permission_denial), columns as stored, no secrets; one consistent snapshot. The last line is ' +
      '`{"kind":"export.end","rows":N,"counts":{...}}`: a file without it is incomplete.',
  })
  async export(@Res() response: Response): Promise<void> {
    const tenantId = this.context.tenantId;
    response.status(200);
    response.setHeader('Content-Type', 'application/x-ndjson; charset=utf-8');
    response.setHeader(
      'Content-Disposition',
      `attachment; filename="tenant-${tenantId}-${new Date().toISOString().slice(0, 10)}.ndjson"`,
    );
    // pipeline: backpressure from the client pauses the database cursor; a client that goes away closes it.
    await pipeline(this.exports.lines(tenantId), response).catch((error: unknown) => {
      if (!response.headersSent) throw error;
      response.destroy(error as Error);
    });
  }
}
