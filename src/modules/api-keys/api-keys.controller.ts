import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
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
import { ApiKeysService } from './api-keys.service.js';
import { ApiKeyView, CreateApiKeyDto, CreatedApiKeyView } from './dto/api-key.dto.js';
import { RequireFeature } from '../feature-flags/index.js';

@ApiTags('api-keys')
@RequireFeature('api-keys')
@Controller('api/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Get()
  @RequirePermissions('apikeys:read')
  @ApiOperation({ summary: 'List API keys (prefix only, never the key)' })
  @ApiOkResponse({ type: PageOf(ApiKeyView) })
  list(@Query() query: PageQueryDto): Promise<Page<ApiKeyView>> {
    return this.apiKeys.list(query);
  }

  @Post()
  @RequirePermissions('apikeys:write')
  @SecretInResponse('key')
  @ApiOperation({
    summary: 'Create an API key bound to one role; the key is in this response only',
    description: 'An idempotent replay (same Idempotency-Key) answers without `key`: it is never stored.',
  })
  @ApiCreatedResponse({ type: CreatedApiKeyView })
  create(@Body() body: CreateApiKeyDto): Promise<CreatedApiKeyView> {
    return this.apiKeys.create(body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('apikeys:write')
  @ApiOperation({ summary: 'Revoke an API key (its next request is a 401)' })
  @ApiNoContentResponse()
  async revoke(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.apiKeys.revoke(id);
  }
}
