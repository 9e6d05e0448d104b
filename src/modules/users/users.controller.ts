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
import { CreateUserDto, UpdateUserDto, UserView } from './dto/user.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get()
  @RequirePermissions('users:read')
  @ApiOperation({ summary: "List the tenant's users" })
  @ApiOkResponse({ type: PageOf(UserView) })
  list(@Query() query: PageQueryDto): Promise<Page<UserView>> {
    return this.users.list(query);
  }

  @Post()
  @RequirePermissions('users:write')
  @ApiOperation({ summary: 'Create a user (e-mail unique per tenant: 409)' })
  @ApiCreatedResponse({ type: UserView })
  create(@Body() body: CreateUserDto): Promise<UserView> {
    return this.users.create(body);
  }

  @Get(':id')
  @RequirePermissions('users:read')
  @ApiOperation({ summary: 'A user of the tenant by id, with the ids of their roles' })
  @ApiOkResponse({ type: UserView })
  get(@Param('id', ParseUUIDPipe) id: string): Promise<UserView> {
    return this.users.get(id);
  }

  @Patch(':id')
  @RequirePermissions('users:write')
  @ApiOperation({ summary: 'Change name, status or roles; suspension applies to the next request' })
  @ApiOkResponse({ type: UserView })
  update(@Param('id', ParseUUIDPipe) id: string, @Body() body: UpdateUserDto): Promise<UserView> {
    return this.users.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @RequirePermissions('users:write')
  @ApiOperation({
    summary: 'Erase the user (GDPR): personal data removed, id kept in ledger and audit trail',
  })
  @ApiNoContentResponse()
  async erase(@Param('id', ParseUUIDPipe) id: string): Promise<void> {
    await this.users.erase(id);
  }
}
