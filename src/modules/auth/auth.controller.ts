import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Authenticated, PublicInTenant } from '../../platform/access/access.decorators.js';
import { AuthService } from './auth.service.js';
import { LoginDto, LoginResponse, MeResponse } from './dto/auth.dto.js';
import { LoginThrottled } from './request-throttle.guard.js';

@ApiTags('auth')
@Controller('api/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @PublicInTenant()
  @LoginThrottled()
  @ApiOperation({ summary: 'Log in to the resolved tenant; returns a bearer token' })
  @ApiTooManyRequestsResponse({ description: 'Too many attempts for this client and e-mail (Retry-After)' })
  @ApiOkResponse({ type: LoginResponse })
  @ApiUnauthorizedResponse({ description: 'Wrong e-mail or password (the same answer for both)' })
  login(@Body() body: LoginDto): Promise<LoginResponse> {
    return this.auth.login(body.email, body.password);
  }

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller: user (or API key), tenant, roles and effective permissions' })
  @ApiOkResponse({ type: MeResponse })
  me(): Promise<MeResponse> {
    return this.auth.me();
  }
}
