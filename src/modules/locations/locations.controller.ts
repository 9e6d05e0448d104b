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
import { CreateLocationDto, LocationQueryDto, LocationView, UpdateLocationDto } from './dto/location.dto.js';
import { LocationsService } from './locations.service.js';

@ApiTags('locations')
@Controller('api/locations')
export class LocationsController {
  constructor(private readonly locations: LocationsService) {}

  @Get()
  @RequirePermissions('locations:read')
  @ApiOperation({ summary: 'List locations; search matches site, name and code' })
  @ApiOkResponse({ type: PageOf(LocationView) })
  list(@Query() query: LocationQueryDto): Promise<Page<LocationView>> {
    return this.locations.list(query);
  }

  @Post()
  @RequirePermissions('locations:write')
  @ApiOperation({
    summary: 'Create a location ((site, name) unique per tenant: 409; maxLocations: 409 limit-exceeded)',
  })
  @ApiCreatedResponse({ type: LocationView })
  @ApiConflictResponse({
    description: 'conflict: (site, name) or code exists; limit-exceeded: maxLocations reached',
  })
  create(@Body() body: CreateLocationDto): Promise<LocationView> {
    return this.locations.create(body);
  }

  @Get(':id')
  @RequirePermissions('locations:read')
  @ApiOperation({ summary: 'A location by id' })
  @ApiOkResponse({ type: LocationView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<LocationView> {
    return this.locations.get(id);
  }

  @Patch(':id')
  @RequirePermissions('locations:write')
  @ApiOperation({ summary: 'Change a location' })
  @ApiOkResponse({ type: LocationView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateLocationDto): Promise<LocationView> {
    return this.locations.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('locations:write')
  @ApiOperation({ summary: 'Archive the location (deleted outright only when it has no stock history)' })
  @ApiNoContentResponse()
  async delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.locations.delete(id);
  }
}
