import { Controller, Get, Query } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../../common/access/access.decorators.js';
import type { Page } from '../../common/pagination/pagination.js';
import { AuditService } from './audit.service.js';
import { type AuditEntryView, AuditQueryDto } from './dto/audit.dto.js';

@ApiTags('audit')
@Controller('api/audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequirePermissions('audit:read')
  @ApiOperation({
    summary: 'Every change and every permission denial of the tenant, newest first',
    description:
      'Changes carry before/after (secrets and personal data appear as "[redacted]"); denials have action ' +
      '`permission.denied` and the route in `after`.',
  })
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    return this.audit.list(query);
  }
}
