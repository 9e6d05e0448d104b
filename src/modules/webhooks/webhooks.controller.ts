import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { SecretInResponse } from '../../platform/http/idempotency/idempotency.interceptor.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import {
  CreateWebhookDto,
  DeliveryQueryDto,
  DeliveryView,
  RequeuedView,
  UpdateWebhookDto,
  WebhookEventTypeView,
  WebhookTestView,
  WebhookView,
  WebhookWithSecretView,
} from './dto/webhook.dto.js';
import { EVENT_CATALOG } from './event-catalog.js';
import { WebhooksService } from './webhooks.service.js';
import { RequireFeature } from '../feature-flags/index.js';

@ApiTags('webhooks')
@RequireFeature('webhooks')
@Controller('api/webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @RequirePermissions('webhooks:read')
  @ApiOperation({ summary: 'List webhook endpoints (never their secrets), oldest first' })
  @ApiOkResponse({ type: PageOf(WebhookView) })
  list(@Query() query: PageQueryDto): Promise<Page<WebhookView>> {
    return this.webhooks.list(query);
  }

  @Post()
  @RequirePermissions('webhooks:write')
  @SecretInResponse('secret')
  @ApiOperation({
    summary: 'Create an endpoint; the secret (whsec_…) is in this response only',
    description: 'Private, loopback and link-local URLs are refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS.',
  })
  @ApiCreatedResponse({ type: WebhookWithSecretView })
  create(@Body() body: CreateWebhookDto): Promise<WebhookWithSecretView> {
    return this.webhooks.create(body);
  }

  @Get('events')
  @RequirePermissions('webhooks:read')
  @ApiOperation({ summary: 'The event catalog, with an example of each event’s data' })
  @ApiOkResponse({ type: [WebhookEventTypeView] })
  events(): Array<{ type: string; description: string; example: Record<string, unknown> }> {
    return Object.entries(EVENT_CATALOG).map(([type, entry]) => ({ type, ...entry }));
  }

  @Get(':id')
  @RequirePermissions('webhooks:read')
  @ApiOperation({ summary: 'A webhook endpoint (never its secret)' })
  @ApiOkResponse({ type: WebhookView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookView> {
    return this.webhooks.get(id);
  }

  @Patch(':id')
  @RequirePermissions('webhooks:write')
  @ApiOperation({ summary: 'Change an endpoint; status active re-enables it (failure count reset)' })
  @ApiOkResponse({ type: WebhookView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateWebhookDto): Promise<WebhookView> {
    return this.webhooks.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('webhooks:write')
  @ApiOperation({ summary: 'Delete an endpoint with its deliveries' })
  @ApiNoContentResponse()
  async delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.webhooks.delete(id);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @RequirePermissions('webhooks:write')
  @SecretInResponse('secret')
  @ApiOperation({
    summary: 'New secret, shown once; the old one keeps signing as a second signature for 24 h',
  })
  @ApiOkResponse({ type: WebhookWithSecretView })
  rotate(@Param('id', ParseUUIDPipe) id: string): Promise<WebhookWithSecretView> {
    return this.webhooks.rotateSecret(id);
  }

  @Post(':id/test')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @ApiOperation({ summary: 'Send a webhook.test event to this endpoint' })
  @ApiAcceptedResponse({ type: WebhookTestView })
  test(@Param('id', ParseUUIDPipe) id: string): Promise<{ eventId: string }> {
    return this.webhooks.sendTest(id);
  }

  @Post(':id/deliveries/:deliveryId/retry')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @ApiOperation({ summary: 'Re-queue a failed or dead-lettered delivery for one more attempt' })
  @ApiAcceptedResponse({ type: RequeuedView })
  retry(
    @Param('id', ParseUUIDPipe) id: string,
    @Param('deliveryId', ParseUUIDPipe) deliveryId: string,
  ): Promise<{ requeued: number }> {
    return this.webhooks.retry(id, deliveryId);
  }

  @Post(':id/deliveries/replay-dlq')
  @HttpCode(202)
  @RequirePermissions('webhooks:write')
  @ApiOperation({ summary: 'Re-queue every dead-lettered delivery of this endpoint' })
  @ApiAcceptedResponse({ type: RequeuedView })
  replayDlq(@Param('id', ParseUUIDPipe) id: string): Promise<{ requeued: number }> {
    return this.webhooks.retry(id);
  }

  @Get(':id/deliveries')
  @RequirePermissions('webhooks:read')
  @ApiOperation({ summary: 'Deliveries of an endpoint, oldest first; filters status and eventType' })
  @ApiOkResponse({ type: PageOf(DeliveryView) })
  deliveries(
    @Param('id', ParseUUIDPipe) id: string,
    @Query() query: DeliveryQueryDto,
  ): Promise<Page<DeliveryView>> {
    return this.webhooks.deliveries(id, query);
  }
}
