import { applyDecorators, SetMetadata } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtension,
  ApiForbiddenResponse,
  ApiSecurity,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import type { Permission } from '../../modules/roles/permissions.js';

/**
 * How a route may be reached. Every route declares exactly one; the access guard denies routes without one
 * and a test snapshots them all, so a new route's access rule always shows up in review.
 */
export type AccessRule =
  /** No credentials and no tenant (health, metrics). */
  | { kind: 'public' }
  /** No credentials, but runs in the tenant resolved from header, subdomain or default (login). */
  | { kind: 'public-in-tenant' }
  /** Any authenticated user or API key of the tenant. */
  | { kind: 'authenticated' }
  /** Only a platform administrator (tenants and backups). */
  | { kind: 'platform-admin' }
  /** An authenticated principal holding every listed permission. */
  | { kind: 'permissions'; permissions: Permission[] };

export const ACCESS_RULE = 'inventory-enterprise:access-rule';

/** The OpenAPI extension naming each operation's access rule (`GET /docs-json`). */
export const ACCESS_EXTENSION = 'x-access';

const CREDENTIALS = [
  ApiBearerAuth('bearer'),
  ApiSecurity('api-key'),
  ApiSecurity('tenant'),
  ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials' }),
];

export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'public' }),
    ApiExtension(ACCESS_EXTENSION, 'public'),
  );
}

export function PublicInTenant(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'public-in-tenant' }),
    ApiSecurity('tenant'),
    ApiExtension(ACCESS_EXTENSION, 'public (in the resolved tenant)'),
  );
}

export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'authenticated' }),
    ApiExtension(ACCESS_EXTENSION, 'authenticated'),
    ...CREDENTIALS,
  );
}

export function PlatformAdmin(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'platform-admin' }),
    ApiExtension(ACCESS_EXTENSION, 'platform-admin'),
    ApiForbiddenResponse({ description: 'Not a platform administrator' }),
    ...CREDENTIALS,
  );
}

/** Requires every listed permission; documented in the OpenAPI operation as `x-access`. */
export function RequirePermissions(
  ...permissions: [Permission, ...Permission[]]
): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'permissions', permissions }),
    ApiExtension(ACCESS_EXTENSION, permissions.join(' ')),
    ApiForbiddenResponse({ description: `Requires ${permissions.join(', ')}` }),
    ...CREDENTIALS,
  );
}

/** The access rule of a route, rendered as the snapshot and the OpenAPI extension show it. */
export function describeAccessRule(rule: AccessRule | undefined): string {
  if (!rule) return '(none)';
  return rule.kind === 'permissions' ? rule.permissions.join(' ') : rule.kind;
}
