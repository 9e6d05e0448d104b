import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import type { Page } from '../../platform/http/pagination/pagination.js';
import { AuditService } from './audit.service.js';
import { AuditEntryView, AuditQueryDto } from './dto/audit.dto.js';

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
  @ApiOkResponse({ type: PageOf(AuditEntryView) })
  list(@Query() query: AuditQueryDto): Promise<Page<AuditEntryView>> {
    return this.audit.list(query);
  }
}
