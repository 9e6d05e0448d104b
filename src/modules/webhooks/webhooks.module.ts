import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook-dispatcher.service.js';
import { WebhookQueueStatistics } from './webhook-queue-statistics.service.js';
import { WebhookRetention } from './webhook-retention.service.js';
import { WebhookSecrets } from './webhook-secrets.js';
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
    WebhookSecrets,
    WebhookUrlGuard,
    WebhookDispatcher,
    WebhookRetention,
    WebhookQueueStatistics,
  ],
})
export class WebhooksModule {}
