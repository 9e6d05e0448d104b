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
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import { CreateRoleDto, PermissionView, RoleView, UpdateRoleDto } from './dto/role.dto.js';
import { RolesService } from './roles.service.js';

@ApiTags('roles')
@Controller('api')
export class RolesController {
  constructor(private readonly roles: RolesService) {}

  @Get('permissions')
  @RequirePermissions('roles:read')
  @ApiOperation({ summary: 'The catalog of permission codes (resource:action)' })
  @ApiOkResponse({ type: [PermissionView] })
  permissions(): Promise<PermissionView[]> {
    return this.roles.catalog();
  }

  @Get('roles')
  @RequirePermissions('roles:read')
  @ApiOperation({ summary: "List the tenant's roles (system and custom) with their permissions" })
  @ApiOkResponse({ type: PageOf(RoleView) })
  list(@Query() query: PageQueryDto): Promise<Page<RoleView>> {
    return this.roles.list(query);
  }

  @Post('roles')
  @RequirePermissions('roles:write')
  @ApiOperation({ summary: 'Create a custom role; unknown permission codes are a 400' })
  @ApiCreatedResponse({ type: RoleView })
  create(@Body() body: CreateRoleDto): Promise<RoleView> {
    return this.roles.create(body);
  }

  @Get('roles/:id')
  @RequirePermissions('roles:read')
  @ApiOperation({ summary: 'A role with its permissions' })
  @ApiOkResponse({ type: RoleView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<RoleView> {
    return this.roles.get(id);
  }

  @Patch('roles/:id')
  @RequirePermissions('roles:write')
  @ApiOperation({
    summary: 'Change a custom role (system roles: description only); applies to the next request',
  })
  @ApiOkResponse({ type: RoleView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateRoleDto): Promise<RoleView> {
    return this.roles.update(id, body);
  }

  @Delete('roles/:id')
  @HttpCode(204)
  @RequirePermissions('roles:write')
  @ApiOperation({ summary: 'Delete a custom role (409 for system roles and roles still held)' })
  @ApiNoContentResponse()
  async delete(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.roles.delete(id);
  }
}
