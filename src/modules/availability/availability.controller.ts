import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  ParseUUIDPipe,
  Post,
  Put,
  Query,
} from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import {
  AvailabilityListView,
  AvailabilityLookupDto,
  AvailabilityQueryDto,
  ReorderPointView,
  ReplenishmentView,
  SetReorderPointDto,
} from './dto/availability.dto.js';
import { AvailabilityService } from './availability.service.js';

@ApiTags('availability')
@Controller('api/inventory')
export class AvailabilityController {
  constructor(private readonly availability: AvailabilityService) {}

  @Get('availability')
  @RequirePermissions('inventory:read')
  @ApiOperation({
    summary: 'On hand, reserved and available per item and location, for up to 100 items, in one query',
    description: 'Only keys with stock history or reservations are listed; any other has nothing available.',
  })
  @ApiOkResponse({ type: AvailabilityListView })
  lookup(@Query() query: AvailabilityQueryDto): Promise<AvailabilityListView> {
    return this.availability.lookup(query.itemIds, query.locationIds);
  }

  @Post('availability')
  @HttpCode(200)
  @RequirePermissions('inventory:read')
  @ApiOperation({
    summary: 'The same lookup for up to 500 items (a read: nothing is written, no Idempotency-Key)',
  })
  @ApiOkResponse({ type: AvailabilityListView })
  lookupMany(@Body() body: AvailabilityLookupDto): Promise<AvailabilityListView> {
    return this.availability.lookup(body.itemIds, body.locationIds);
  }

  @Get('reorder-points')
  @RequirePermissions('inventory:read')
  @ApiOperation({ summary: 'Reorder points in (item, location) order, with availability' })
  @ApiOkResponse({ type: PageOf(ReorderPointView) })
  reorderPoints(@Query() query: PageQueryDto): Promise<Page<ReorderPointView>> {
    return this.availability.reorderPoints(query);
  }

  @Put('reorder-points/:itemId/:locationId')
  @RequirePermissions('inventory:write')
  @ApiOperation({
    summary: 'Set the reorder point and quantity of an item at a location (base units)',
    description:
      'inventory.low_stock is written when available goes from above the reorder point to at or below it, ' +
      'inventory.restocked when it goes back above; setting a point records (and announces) whether the key ' +
      'is low now.',
  })
  @ApiOkResponse({ type: ReorderPointView })
  @ApiNotFoundResponse({ description: 'not-found: the item or the location' })
  setReorderPoint(
    @Param('itemId', ParseUUIDPipe) itemId: string,
    @Param('locationId', ParseUUIDPipe) locationId: string,
    @Body() body: SetReorderPointDto,
  ): Promise<ReorderPointView> {
    return this.availability.setReorderPoint(itemId, locationId, body);
  }

  @Delete('reorder-points/:itemId/:locationId')
  @HttpCode(204)
  @RequirePermissions('inventory:write')
  @ApiOperation({ summary: 'Stop watching an item at a location (no event)' })
  @ApiNoContentResponse()
  @ApiNotFoundResponse({ description: 'not-found: the item or the location' })
  async removeReorderPoint(
    @Param('itemId', ParseUUIDPipe) itemId: string,
    @Param('locationId', ParseUUIDPipe) locationId: string,
  ): Promise<void> {
    await this.availability.removeReorderPoint(itemId, locationId);
  }

  @Get('replenishment')
  @RequirePermissions('reports:read')
  @ApiOperation({
    summary: 'Every key whose available is at or below its reorder point, with a suggested quantity',
  })
  @ApiOkResponse({ type: PageOf(ReplenishmentView) })
  replenishment(@Query() query: PageQueryDto): Promise<Page<ReplenishmentView>> {
    return this.availability.replenishment(query);
  }
}
