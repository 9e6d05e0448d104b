import { Module } from '@nestjs/common';
import { WebhookSecrets } from './webhook-secrets.js';
import { WebhookUrlGuard } from './webhook-url-guard.js';
import { WebhooksController } from './webhooks.controller.js';
import { WebhooksService } from './webhooks.service.js';

/**
 * Webhook endpoints and their deliveries. Deliveries are created by the database (fan-out trigger on the outbox);
 * sending them (the dispatcher) is the next step of this module and not here yet.
 */
@Module({
  controllers: [WebhooksController],
  providers: [WebhooksService, WebhookSecrets, WebhookUrlGuard],
})
export class WebhooksModule {}
