import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { FeatureFlagView, SetFeatureFlagDto } from './dto/feature-flag.dto.js';
import { FeatureFlagsService } from './feature-flags.service.js';

@ApiTags('feature-flags')
@Controller('api/feature-flags')
export class FeatureFlagsController {
  constructor(private readonly flags: FeatureFlagsService) {}

  @Get()
  @RequirePermissions('settings:read')
  @ApiOperation({ summary: 'Every feature flag of the tenant, with its default' })
  @ApiOkResponse({ type: [FeatureFlagView] })
  list(): Promise<FeatureFlagView[]> {
    return this.flags.list();
  }

  @Put(':key')
  @RequirePermissions('settings:write')
  @ApiOperation({
    summary: 'Switch a feature on or off; routes of a disabled feature answer 403 feature-disabled',
  })
  @ApiOkResponse({ type: FeatureFlagView })
  set(@Param('key') key: string, @Body() body: SetFeatureFlagDto): Promise<FeatureFlagView> {
    return this.flags.set(key, body.enabled);
  }
}
