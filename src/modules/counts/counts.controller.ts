import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import type { MovementView } from '../inventory/index.js';
import { CountsService } from './counts.service.js';
import {
  ApproveCountDto,
  CountApprovalView,
  CountSheetView,
  CreateCountDto,
  PutCountLinesDto,
} from './dto/count.dto.js';
import { RequireFeature } from '../feature-flags/index.js';

@ApiTags('counts')
@RequireFeature('counts')
@Controller('api/counts')
export class CountsController {
  constructor(private readonly counts: CountsService) {}

  @Get()
  @RequirePermissions('counts:read')
  @ApiOperation({ summary: 'List count sheets (without their lines), oldest first' })
  @ApiOkResponse({ type: PageOf(CountSheetView) })
  list(@Query() query: PageQueryDto): Promise<Page<CountSheetView>> {
    return this.counts.list(query);
  }

  @Post()
  @RequirePermissions('counts:write')
  @ApiOperation({ summary: 'Create a count sheet (draft); countNumber CNT-000001 is sequential per tenant' })
  @ApiCreatedResponse({ type: CountSheetView })
  create(@Body() body: CreateCountDto): Promise<CountSheetView> {
    return this.counts.create(body);
  }

  @Get(':id')
  @RequirePermissions('counts:read')
  @ApiOperation({
    summary: 'A sheet with its lines; expected quantities hidden on blind sheets without counts:approve',
  })
  @ApiOkResponse({ type: CountSheetView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<CountSheetView> {
    return this.counts.get(id);
  }

  @Post(':id/start')
  @HttpCode(200)
  @RequirePermissions('counts:write')
  @ApiOperation({ summary: 'Snapshot the expected quantities of the scope -> in_progress' })
  @ApiOkResponse({ type: CountSheetView })
  start(@Param('id', ParseUUIDPipe) id: string): Promise<CountSheetView> {
    return this.counts.start(id);
  }

  @Put(':id/lines')
  @RequirePermissions('counts:write')
  @ApiOperation({
    summary: 'Enter counted quantities (upsert by item, location, lot; up to 10,000 lines per request)',
    description:
      'Each line records the system quantity at the moment it is entered; variance = counted - that quantity. ' +
      'Keys outside the snapshot are allowed inside the scope (found stock).',
  })
  @ApiOkResponse({ type: CountSheetView })
  putLines(@Param('id', ParseUUIDPipe) id: string, @Body() body: PutCountLinesDto): Promise<CountSheetView> {
    return this.counts.putLines(id, body.lines);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @RequirePermissions('counts:write')
  @ApiOperation({ summary: 'Finish counting: in_progress -> submitted, ready for approval' })
  @ApiOkResponse({ type: CountSheetView })
  submit(@Param('id', ParseUUIDPipe) id: string): Promise<CountSheetView> {
    return this.counts.submit(id);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @RequirePermissions('counts:approve')
  @ApiOperation({
    summary: 'Post one adjustment for every non-zero variance -> posted; returns { sheet, movement }',
    description:
      'Lines nobody counted are not adjusted unless zeroUncounted is true. Approving again is 409. The ' +
      'negative-stock rule does not apply: a count states what is physically there.',
  })
  @ApiOkResponse({ type: CountApprovalView })
  approve(
    @Param('id', ParseUUIDPipe) id: string,
    @Body() body: ApproveCountDto,
  ): Promise<{ sheet: CountSheetView; movement: MovementView | null }> {
    return this.counts.approve(id, body.zeroUncounted ?? false);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @RequirePermissions('counts:write')
  @ApiOperation({ summary: 'Cancel a draft, in-progress or submitted sheet -> cancelled; nothing is posted' })
  @ApiOkResponse({ type: CountSheetView })
  cancel(@Param('id', ParseUUIDPipe) id: string): Promise<CountSheetView> {
    return this.counts.cancel(id);
  }
}
