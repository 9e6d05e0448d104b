import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository.js';
import { WebhookQueueStatistics } from './webhook-queue-statistics.service.js';
import { WebhookMaintenanceRepository } from './webhook-maintenance.repository.js';
import { WebhookQueueRepository } from './webhook-queue.repository.js';
import { WebhookRetention } from './webhook-retention.service.js';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookSender } from './webhook-sender.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Webhook endpoints and their deliveries. Deliveries are created by the database (fan-out trigger on the outbox)
 * and sent by the WebhookDispatcher.
 */
@Module({
  controllers: [WebhooksController],
  providers: [
    WebhooksService,
    WebhookEndpointsRepository,
    WebhookSecrets,
    WebhookUrlGuard,
    WebhookQueueRepository,
    WebhookSender,
    WebhookDispatcher,
    WebhookRetention,
    WebhookQueueStatistics,
    WebhookMaintenanceRepository,
  ],
  // The CLI's webhooks:purge command runs the retention job.
  exports: [WebhookRetention],
})
export class WebhooksModule {}
