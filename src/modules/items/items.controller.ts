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
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import type { Page } from '../../platform/http/pagination/pagination.js';
import { CreateItemDto, ItemQueryDto, ItemView, UpdateItemDto } from './dto/item.dto.js';
import { ItemsService } from './items.service.js';

@ApiTags('items')
@Controller('api/items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Get()
  @RequirePermissions('items:read')
  @ApiOperation({ summary: 'List items; search matches sku and name' })
  @ApiOkResponse({ type: PageOf(ItemView) })
  list(@Query() query: ItemQueryDto): Promise<Page<ItemView>> {
    return this.items.list(query);
  }

  @Post()
  @RequirePermissions('items:write')
  @ApiOperation({ summary: 'Create an item (sku unique per tenant: 409; maxItems: 409 limit-exceeded)' })
  @ApiCreatedResponse({ type: ItemView })
  @ApiConflictResponse({ description: 'conflict: the sku exists; limit-exceeded: maxItems reached' })
  create(@Body() body: CreateItemDto): Promise<ItemView> {
    return this.items.create(body);
  }

  @Get(':id')
  @RequirePermissions('items:read')
  @ApiOperation({ summary: 'An item by id' })
  @ApiOkResponse({ type: ItemView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<ItemView> {
    return this.items.get(id);
  }

  @Patch(':id')
  @RequirePermissions('items:write')
  @ApiOperation({ summary: 'Change an item; baseUom and lotTracked are fixed once it has stock history' })
  @ApiOkResponse({ type: ItemView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateItemDto): Promise<ItemView> {
    return this.items.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('items:write')
  @ApiOperation({ summary: 'Archive the item (deleted outright only when it has no stock history)' })
  @ApiNoContentResponse()
  async delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.items.delete(id);
  }
}
