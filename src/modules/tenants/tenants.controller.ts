import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { PlatformAdmin, RequirePermissions } from '../../platform/access/access.decorators.js';
import { PageOf } from '../../platform/http/pagination/page-view.js';
import { type Page, PageQueryDto } from '../../platform/http/pagination/pagination.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { UserView } from '../users/index.js';
import { AssignTenantRoleDto, CreateTenantDto, TenantView, UpdateTenantDto } from './dto/tenant.dto.js';
import { TenantsService } from './tenants.service.js';

/** Platform administration: tenants are managed by platform administrators only. */
@ApiTags('platform')
@Controller('api/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @PlatformAdmin()
  @ApiOperation({ summary: 'Create a tenant with its default roles and, if given, its first Admin user' })
  @ApiCreatedResponse({ type: TenantView })
  create(@Body() body: CreateTenantDto): Promise<TenantView> {
    return this.tenants.create(body);
  }

  @Get()
  @PlatformAdmin()
  @ApiOperation({ summary: 'List every tenant, oldest first' })
  @ApiOkResponse({ type: PageOf(TenantView) })
  list(@Query() query: PageQueryDto): Promise<Page<TenantView>> {
    return this.tenants.list(query);
  }

  @Get(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'A tenant by id' })
  @ApiOkResponse({ type: TenantView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<TenantView> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Rename, suspend or reactivate a tenant, or replace its settings' })
  @ApiOkResponse({ type: TenantView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateTenantDto): Promise<TenantView> {
    return this.tenants.update(id, body);
  }

  @Post(':id/users')
  @PlatformAdmin()
  @ApiOperation({ summary: 'Give a user of that tenant a role of that tenant' })
  @ApiCreatedResponse({ type: UserView })
  assign(@Param('id', ParseUUIDPipe) id: string, @Body() body: AssignTenantRoleDto): Promise<UserView> {
    return this.tenants.assignRole(id, body.userId, body.roleId);
  }
}

/** The caller's own tenant. */
@ApiTags('tenant')
@Controller('api/tenant')
export class OwnTenantController {
  constructor(
    private readonly tenants: TenantsService,
    private readonly context: TenantContext,
  ) {}

  @Get()
  @RequirePermissions('tenant:read')
  @ApiOperation({ summary: "The caller's tenant: name, slug, status, settings and limits" })
  @ApiOkResponse({ type: TenantView })
  get(): Promise<TenantView> {
    return this.tenants.get(this.context.tenantId);
  }
}
