import { type ExecutionContext, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { JwtModule } from '@nestjs/jwt';
import { PassportModule } from '@nestjs/passport';
import { ThrottlerModule } from '@nestjs/throttler';
import type { Request } from 'express';
import { ACCESS_RULE, type AccessRule } from '../../platform/access/access.decorators.js';
import type { Environment } from '../../platform/config/environment.js';
import { ApiKeysModule } from '../api-keys/index.js';
import { RolesModule } from '../roles/index.js';
import { TenantsModule } from '../tenants/index.js';
import { UsersModule } from '../users/index.js';
import { AccessGuard, type AuthenticatedRequest } from './access.guard.js';
import { AuthController } from './auth.controller.js';
import { AuthRepository } from './auth.repository.js';
import { AuthService } from './auth.service.js';
import { JWT_SIGNING_KEY, jwtSigningKey } from './jwt-signing-key.js';
import { JwtAuthGuard, JwtStrategy } from './jwt.strategy.js';
import { PrincipalCache } from './principal-cache.js';
import { PrincipalLoader } from './principal-loader.js';
import { RbacDenials } from './rbac-denials.service.js';
import { LOGIN_THROTTLED, RequestThrottleGuard } from './request-throttle.guard.js';

const signingKeyProvider = {
  provide: JWT_SIGNING_KEY,
  inject: [ConfigService],
  useFactory: (config: ConfigService<Environment, true>) =>
    jwtSigningKey(config.get('JWT_SECRET', { infer: true }), config.get('DATA_DIR', { infer: true })),
};

function accessRuleOf(context: ExecutionContext): AccessRule | undefined {
  return (Reflect.getMetadata(ACCESS_RULE, context.getHandler()) ??
    Reflect.getMetadata(ACCESS_RULE, context.getClass())) as AccessRule | undefined;
}

function isLogin(context: ExecutionContext): boolean {
  return Reflect.getMetadata(LOGIN_THROTTLED, context.getHandler()) === true;
}

/**
 * Authentication and authorisation for every route: the global AccessGuard (resolution, credentials, tenant
 * match, permissions) and, after it, the throttler: per tenant and principal for the API, per client IP and
 * e-mail for login.
 */
@Module({
  imports: [
    PassportModule,
    JwtModule.registerAsync({
      inject: [ConfigService, JWT_SIGNING_KEY],
      extraProviders: [signingKeyProvider],
      useFactory: (config: ConfigService<Environment, true>, key: string) => ({
        secret: key,
        signOptions: { algorithm: 'HS256', issuer: config.get('JWT_ISSUER', { infer: true }) },
        verifyOptions: { algorithms: ['HS256'] },
      }),
    }),
    ThrottlerModule.forRootAsync({
      inject: [ConfigService],
      useFactory: (config: ConfigService<Environment, true>) => ({
        throttlers: [
          {
            name: 'api',
            ttl: config.get('THROTTLE_TTL_MS', { infer: true }),
            limit: config.get('THROTTLE_LIMIT', { infer: true }),
            skipIf: (context) => {
              const kind = accessRuleOf(context)?.kind;
              return kind === undefined || kind === 'public' || kind === 'public-in-tenant';
            },
            getTracker: (request) => {
              const { principalKey, ip } = request as AuthenticatedRequest;
              return principalKey ?? ip ?? 'unknown';
            },
          },
          {
            name: 'login',
            ttl: config.get('LOGIN_THROTTLE_TTL_MS', { infer: true }),
            limit: config.get('LOGIN_THROTTLE_LIMIT', { infer: true }),
            skipIf: (context) => !isLogin(context),
            getTracker: (request) => {
              const { ip, tenantId } = request as AuthenticatedRequest;
              const body: unknown = (request as Request).body;
              const email =
                typeof body === 'object' && body !== null && 'email' in body && typeof body.email === 'string'
                  ? body.email.trim().toLowerCase()
                  : '';
              return `${tenantId ?? '-'}:${ip ?? 'unknown'}:${email}`;
            },
          },
        ],
      }),
    }),
    TenantsModule,
    UsersModule,
    RolesModule,
    ApiKeysModule,
  ],
  controllers: [AuthController],
  providers: [
    signingKeyProvider,
    JwtStrategy,
    JwtAuthGuard,
    PrincipalCache,
    AuthRepository,
    PrincipalLoader,
    RbacDenials,
    AuthService,
    // Installed as global guards, in order, by the request pipeline (src/request-pipeline.module.ts).
    AccessGuard,
    RequestThrottleGuard,
  ],
  exports: [RbacDenials, AccessGuard, RequestThrottleGuard],
})
export class AuthModule {}
