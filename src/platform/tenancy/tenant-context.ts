import { Injectable } from '@nestjs/common';
import { ClsService, ClsServiceManager } from 'nestjs-cls';
import type { AuditOrigin } from '../database/session-settings.js';
import type { Principal, RequestOrigin, RequestStore, TenantState } from './request-store.js';

/** Thrown when tenant-bound code runs without a tenant: a programming error, never a client's fault. */
export class TenantContextMissingError extends Error {
  override readonly name = 'TenantContextMissingError';
  constructor() {
    super('No tenant in context: tenant-bound code ran outside a request or tenantContext.runAs()');
  }
}

/** The CLS key of the request's origin, for the CLS middleware's setup (app.module.ts). */
export const ORIGIN = 'origin' satisfies keyof RequestStore;

export type { Principal, RequestOrigin };

/**
 * The tenant (and principal) of the current request or job, kept in the nestjs-cls context (one per request,
 * one per runAs), so this singleton can be injected anywhere and nothing has to become request-scoped.
 * Fail closed: reading `tenantId` before a tenant was entered throws.
 *
 * Not a nestjs-cls proxy provider (as docs/design.md first planned): a strict proxy refuses every property access
 * outside a resolved context, including `runAs`, which jobs call from outside any context (ADR 0008).
 */
@Injectable()
export class TenantContext {
  constructor(private readonly cls: ClsService<RequestStore>) {}

  private get state(): TenantState | undefined {
    return this.cls.isActive() ? this.cls.get('tenant') : undefined;
  }

  get tenantId(): string {
    const state = this.state;
    if (!state) throw new TenantContextMissingError();
    return state.tenantId;
  }

  /** The tenant, or undefined when none was entered (e.g. on a public route). */
  get tenantIdOrUndefined(): string | undefined {
    return this.state?.tenantId;
  }

  get principal(): Principal {
    const state = this.state;
    if (!state) throw new TenantContextMissingError();
    return state.principal;
  }

  get userId(): string | undefined {
    const principal = this.state?.principal;
    return principal?.kind === 'user' ? principal.userId : undefined;
  }

  get apiKeyId(): string | undefined {
    const principal = this.state?.principal;
    return principal?.kind === 'api-key' ? principal.apiKeyId : undefined;
  }

  /** Who to record as the author of a change: the user or API key id and its kind (`created_by` columns). */
  get actor(): { id: string | null; kind: 'user' | 'api-key' | 'system' } {
    const principal = this.state?.principal;
    if (principal?.kind === 'user') return { id: principal.userId, kind: 'user' };
    if (principal?.kind === 'api-key') return { id: principal.apiKeyId, kind: 'api-key' };
    return { id: null, kind: 'system' };
  }

  get permissions(): ReadonlySet<string> {
    return this.state?.permissions ?? new Set();
  }

  get requestId(): string | undefined {
    if (!this.cls.isActive()) return undefined;
    return this.cls.getId() ?? this.cls.get('origin')?.requestId;
  }

  /** The client's address as Express sees it (TRUST_PROXY decides whether X-Forwarded-For counts). */
  get clientIp(): string | undefined {
    return this.cls.isActive() ? this.cls.get('origin')?.ip : undefined;
  }

  /**
   * Who acts and from where, as the audit triggers read it from the transaction-local setting `app.audit`
   * (src/platform/database/session-settings.ts).
   */
  get auditOrigin(): AuditOrigin {
    const principal = this.state?.principal;
    const actor = this.actor;
    return {
      actorId: actor.id,
      actorKind: actor.kind,
      ...(principal?.kind === 'system' && { actorName: principal.name }),
      requestId: this.requestId,
      ip: this.clientIp,
    };
  }

  /** Binds the current request to a tenant once; a second, different tenant is a programming error. */
  enter(tenantId: string, principal: Principal, permissions: Iterable<string> = []): void {
    if (!this.cls.isActive()) throw new Error('TenantContext.enter() outside a request context');
    const current = this.state;
    if (current && current.tenantId !== tenantId) {
      throw new Error(`tenant context already bound to ${current.tenantId}, refusing ${tenantId}`);
    }
    this.cls.set('tenant', { tenantId, principal, permissions: new Set(permissions) } satisfies TenantState);
  }

  /**
   * Runs `fn` as `principal` inside `tenantId`, in a fresh CLS context: the caller's tenant, principal and
   * open transaction are not visible inside, and nothing set inside leaks out. For jobs and CLI commands.
   */
  runAs<T>(
    tenantId: string,
    fn: () => Promise<T>,
    principal: Principal = { kind: 'system', name: 'system' },
  ): Promise<T> {
    const origin: RequestOrigin = { requestId: this.requestId, ip: this.clientIp };
    return this.cls.run({ ifNested: 'override' }, () => {
      this.cls.set('origin', origin);
      this.cls.set('tenant', { tenantId, principal, permissions: new Set<string>() } satisfies TenantState);
      return fn();
    });
  }
}

/** The current context's tenant for code outside DI (entity listeners); undefined outside any context. */
export function currentTenantId(): string | undefined {
  const cls = ClsServiceManager.getClsService<RequestStore>();
  return cls.isActive() ? cls.get('tenant')?.tenantId : undefined;
}
