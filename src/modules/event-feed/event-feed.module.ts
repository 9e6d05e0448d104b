import { Module } from '@nestjs/common';
import { EventFeedController } from './event-feed.controller.js';
import { EventFeedRepository } from './event-feed.repository.js';
import { EventFeedRetention } from './event-feed-retention.service.js';
import { EventFeedService } from './event-feed.service.js';

/**
 * The event feed (docs/api-contract.md, "Event feed"): GET /api/events over event_feed, in commit order per
 * tenant, and its retention job (MaintenanceDatabase and JobRunner come from the global JobsModule).
 */
@Module({
  controllers: [EventFeedController],
  providers: [EventFeedRepository, EventFeedService, EventFeedRetention],
  exports: [EventFeedRetention],
})
export class EventFeedModule {}
