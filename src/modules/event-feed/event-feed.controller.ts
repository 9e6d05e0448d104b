import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiGoneResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { SingleStatement } from '../../platform/tenancy/tenant-transaction.interceptor.js';
import { EventFeedPageView, EventFeedQueryDto } from './dto/event-feed.dto.js';
import { EventFeedService } from './event-feed.service.js';

@ApiTags('events')
@Controller('api/events')
export class EventFeedController {
  constructor(private readonly feed: EventFeedService) {}

  @Get()
  @RequirePermissions('webhooks:read')
  // Each read is a short transaction of its own; a reader that waits holds no connection.
  @SingleStatement()
  @ApiOperation({
    summary: "The tenant's events in commit order, after a cursor (long-poll with wait)",
    description:
      'Every event the webhooks carry, in the order the transactions that wrote them committed: a reader that ' +
      'follows nextCursor sees every committed event exactly once and never a rolled-back one. With wait and ' +
      'nothing after the cursor, the answer comes as soon as an event commits, or empty after wait seconds. ' +
      'The event id is the webhook-id of its webhook deliveries.',
  })
  @ApiOkResponse({ type: EventFeedPageView })
  @ApiGoneResponse({ description: 'cursor-expired: events after the cursor were deleted by retention' })
  read(
    @Query() query: EventFeedQueryDto,
    @Res({ passthrough: true }) response: Response,
  ): Promise<EventFeedPageView> {
    const closed = new AbortController();
    // The client went away while waiting: stop waiting (a finished answer closes too, harmlessly).
    response.on('close', () => closed.abort());
    return this.feed.read(query, closed.signal);
  }
}
