import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Permission } from './permissions.js';
import { SECURITY } from './security-schemes.js';

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

/**
 * The OpenAPI security of a route that needs credentials: a bearer token or an API key, each with or without
 * X-Tenant-Id (optional: the credential names its tenant), never X-Tenant-Id alone. A function, not a shared
 * array: @nestjs/swagger's ApiSecurity keeps its requirement list in the decorator's closure and extends it on
 * every application, so one shared instance made every route's `security` repeat the entries of all the routes
 * decorated before it (thousands of entries by the last controller). Platform routes take no API key: a key is
 * never a platform administrator.
 */
function credentials({ apiKey }: { apiKey: boolean }): Array<ClassDecorator & MethodDecorator> {
  const schemes = apiKey ? [SECURITY.bearer, SECURITY.apiKey] : [SECURITY.bearer];
  return [
    ...schemes.flatMap((scheme) => [
      ApiSecurity({ [scheme]: [] }),
      ApiSecurity({ [scheme]: [], [SECURITY.tenant]: [] }),
    ]),
    ApiUnauthorizedResponse({ description: 'Missing, invalid or expired credentials' }),
  ];
}

export function Public(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'public' }),
    ApiExtension(ACCESS_EXTENSION, 'public'),
  );
}

export function PublicInTenant(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'public-in-tenant' }),
    ApiSecurity(SECURITY.tenant),
    ApiExtension(ACCESS_EXTENSION, 'public (in the resolved tenant)'),
  );
}

export function Authenticated(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'authenticated' }),
    ApiExtension(ACCESS_EXTENSION, 'authenticated'),
    ...credentials({ apiKey: true }),
  );
}

export function PlatformAdmin(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCESS_RULE, { kind: 'platform-admin' }),
    ApiExtension(ACCESS_EXTENSION, 'platform-admin'),
    ApiForbiddenResponse({ description: 'Not a platform administrator' }),
    ...credentials({ apiKey: false }),
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
    ...credentials({ apiKey: true }),
  );
}

/** The access rule of a route, rendered as the snapshot and the OpenAPI extension show it. */
export function describeAccessRule(rule: AccessRule | undefined): string {
  if (!rule) return '(none)';
  return rule.kind === 'permissions' ? rule.permissions.join(' ') : rule.kind;
}
