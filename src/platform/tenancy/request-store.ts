import type { ClsStore } from 'nestjs-cls';

/** Who is acting: a user, an API key, or the system itself (jobs, CLI commands). */
export type Principal =
  | { kind: 'user'; userId: string; platformAdmin: boolean }
  | { kind: 'api-key'; apiKeyId: string }
  | { kind: 'system'; name: string }
  /** Not authenticated yet: a public route that runs in a tenant (login). */
  | { kind: 'anonymous' };

/** The tenant and principal a request or job runs as (TenantContext). */
export interface TenantState {
  tenantId: string;
  principal: Principal;
  permissions: ReadonlySet<string>;
}

/** Where the work came from (request id, client IP): kept across runAs so that audit rows name the request. */
export interface RequestOrigin {
  requestId?: string;
  ip?: string;
}

/**
 * Everything this service keeps in the nestjs-cls context of a request or job, typed: one key per concern, each
 * with one owner. (@nestjs-cls/transactional keeps its open transaction under keys of its own.)
 */
export interface RequestStore extends ClsStore {
  /** Owner: TenantContext. */
  tenant?: TenantState;
  /** Owner: TenantContext (set by the CLS middleware for requests, copied by runAs). */
  origin?: RequestOrigin;
  /** Owner: TenantTransactions: the tenant the open transaction entered. */
  transactionTenant?: string;
  /** Owner: TenantTransactions: callbacks to run once the open transaction has committed. */
  afterCommit?: Array<() => void>;
}
