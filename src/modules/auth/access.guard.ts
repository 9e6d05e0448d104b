import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Request } from 'express';
import type { Counter } from 'prom-client';
import { ACCESS_RULE, type AccessRule } from '../../platform/access/access.decorators.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import type { Environment } from '../../platform/config/environment.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import { TENANT_REQUESTS } from '../../platform/observability/metric-names.js';
import { parseApiKey } from '../api-keys/index.js';
import { DEFAULT_TENANT_SLUG, TenantDirectory } from '../tenants/index.js';
import type { TenantEntity } from '../tenants/index.js';
import { type AccessTokenClaims, InvalidCredentialsException, JwtAuthGuard } from './jwt.strategy.js';
import type { LoadedPrincipal } from './principal-cache.js';
import { PrincipalLoader } from './principal-loader.js';
import { RbacDenials } from './rbac-denials.service.js';

/** Tenant and principal key of an authenticated request, for the throttler. */
export interface AuthenticatedRequest extends Request {
  principalKey?: string;
  /** The resolved tenant of a public-in-tenant request (login), for the login throttler. */
  tenantId?: string;
}

type Credential =
  | { kind: 'jwt'; tenantId: string; claims: AccessTokenClaims }
  | { kind: 'api-key'; tenantId: string; hash: Buffer };

/**
 * The one global guard in front of every route, in the order of docs/design.md ("Tenancy in the code"): tenant resolution, authentication
 * (JWT or API key), tenant/credential match, permission check. Deny by default: a route without an access
 * rule is refused. On success TenantContext holds the tenant, principal and permissions.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  private readonly subdomainEnabled: boolean;
  private readonly baseDomain: string | undefined;
  private readonly defaultTenantAllowed: boolean;
  private readonly countTenantRequests: boolean;

  constructor(
    private readonly reflector: Reflector,
    private readonly directory: TenantDirectory,
    private readonly jwt: JwtAuthGuard,
    private readonly principals: PrincipalLoader,
    private readonly context: TenantContext,
    private readonly denials: RbacDenials,
    @InjectMetric(TENANT_REQUESTS) private readonly tenantRequests: Counter<'tenant_id'>,
    config: ConfigService<Environment, true>,
  ) {
    this.subdomainEnabled = config.get('TENANT_SUBDOMAIN_ENABLED', { infer: true });
    this.baseDomain = config.get('TENANT_BASE_DOMAIN', { infer: true })?.toLowerCase();
    this.defaultTenantAllowed = config.get('ALLOW_DEFAULT_TENANT', { infer: true });
    this.countTenantRequests = config.get('TENANT_REQUEST_METRICS_ENABLED', { infer: true });
  }

  async canActivate(execution: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS_RULE, [
      execution.getHandler(),
      execution.getClass(),
    ]);
    if (!rule) throw new DomainException('forbidden', 'This route declares no access rule');
    if (rule.kind === 'public') return true;

    const request = execution.switchToHttp().getRequest<AuthenticatedRequest>();
    const named = await this.namedTenant(request);

    if (rule.kind === 'public-in-tenant') {
      const tenant =
        named ?? (this.defaultTenantAllowed ? await this.directory.find(DEFAULT_TENANT_SLUG) : null);
      if (!tenant) {
        throw new DomainException('tenant-required', 'Name the tenant with the X-Tenant-Id header');
      }
      assertActive(tenant);
      this.context.enter(tenant.id, { kind: 'anonymous' });
      request.tenantId = tenant.id;
      return true;
    }

    const credential = await this.authenticate(execution, request);
    const tenant = named ?? (await this.directory.find(credential.tenantId));
    if (!tenant)
      throw new InvalidCredentialsException('The credential belongs to a tenant that does not exist');
    if (tenant.id !== credential.tenantId) {
      throw new DomainException(
        'tenant-mismatch',
        'The credentials belong to another tenant than the one this request names',
      );
    }
    assertActive(tenant);

    const loaded: LoadedPrincipal =
      credential.kind === 'jwt'
        ? await this.principals.user(tenant.id, credential.claims.sub)
        : await this.principals.apiKey(tenant.id, credential.hash);
    this.context.enter(tenant.id, loaded.principal, loaded.permissions);
    request.principalKey = `${tenant.id}:${this.context.userId ?? this.context.apiKeyId}`;
    if (this.countTenantRequests) this.tenantRequests.inc({ tenant_id: tenant.id });

    await this.authorize(rule, request);
    return true;
  }

  private async authorize(rule: AccessRule, request: Request): Promise<void> {
    let missing: string | undefined;
    if (rule.kind === 'platform-admin') {
      const principal = this.context.principal;
      if (!(principal.kind === 'user' && principal.platformAdmin)) missing = 'platform:admin';
    } else if (rule.kind === 'permissions') {
      missing = rule.permissions.find((permission) => !this.context.permissions.has(permission));
    }
    if (missing === undefined) return;
    const route = `${request.baseUrl}${(request.route as { path?: string } | undefined)?.path ?? request.path}`;
    await this.denials.record({ method: request.method, route, permission: missing, ip: request.ip });
    throw new DomainException('forbidden', `Requires permission ${missing}`, {
      permission: missing,
    });
  }

  /** Steps 1 and 2 of tenant resolution (docs/api-contract.md): X-Tenant-Id / X-Org-Id (id or slug), then the Host subdomain when enabled. */
  private async namedTenant(request: Request): Promise<TenantEntity | null> {
    const header = request.header('x-tenant-id') ?? request.header('x-org-id');
    const reference =
      header?.trim() || (this.subdomainEnabled ? this.subdomainOf(request.hostname) : undefined);
    if (!reference) return null;
    const tenant = reference.length <= 100 ? await this.directory.find(reference) : null;
    if (!tenant) throw new DomainException('tenant-not-found', `No tenant ${reference.slice(0, 100)}`);
    return tenant;
  }

  private subdomainOf(hostname: string | undefined): string | undefined {
    if (!hostname) return undefined;
    const host = hostname.toLowerCase();
    if (this.baseDomain) {
      return host.endsWith(`.${this.baseDomain}`)
        ? host
            .slice(0, -this.baseDomain.length - 1)
            .split('.')
            .at(-1)
        : undefined;
    }
    const labels = host.split('.');
    return labels.length >= 3 && !/^\d+$/.test(labels.at(-1)!) ? labels[0] : undefined;
  }

  /** Steps 3 and 4: the API key's tenant, else the token's tenant claim. */
  private async authenticate(execution: ExecutionContext, request: Request): Promise<Credential> {
    const apiKey = request.header('x-api-key');
    const authorization = request.header('authorization');
    if (apiKey !== undefined && authorization !== undefined) {
      throw new InvalidCredentialsException('Send either an API key or a bearer token, not both');
    }
    if (apiKey !== undefined) {
      const parsed = parseApiKey(apiKey);
      if (!parsed) throw new InvalidCredentialsException('Malformed API key');
      return { kind: 'api-key', tenantId: parsed.tenantId, hash: parsed.hash };
    }
    if (authorization === undefined)
      throw new InvalidCredentialsException('Missing credentials: send a bearer token or an API key');
    await this.jwt.canActivate(execution);
    const claims = (request as Request & { user: AccessTokenClaims }).user;
    return { kind: 'jwt', tenantId: claims.tid, claims };
  }
}

function assertActive(tenant: TenantEntity): void {
  if (tenant.status !== 'active') {
    throw new DomainException('tenant-suspended', `Tenant ${tenant.slug} is suspended`);
  }
}
