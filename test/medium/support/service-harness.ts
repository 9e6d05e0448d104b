import type { Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Request } from 'express';
import { PrincipalLoader } from '../../../src/modules/auth/principal-loader.js';
import { ProblemDetailsFilter } from '../../../src/platform/http/problem-details/problem-details.filter.js';
import type { ProblemDetails } from '../../../src/platform/http/problem-details/problem-details.js';
import { createValidationPipe } from '../../../src/platform/http/validation/validation.pipe.js';
import { type Principal, TenantContext } from '../../../src/platform/tenancy/tenant-context.js';
import { TenantTransactions } from '../../../src/platform/tenancy/tenant-transactions.js';
import { createTestApp } from '../../support/test-app.js';
import { createTestDatabase, type TestDatabase } from '../../support/test-database-server.js';

/** Who a piece of test code runs as: what AccessGuard enters into TenantContext for a request. */
export interface Actor {
  tenantId: string;
  principal: Principal;
  /** The permissions at the time the actor was loaded (a request loads them anew; see ServiceHarness.actor). */
  permissions: readonly string[];
}

/** A problem as the API would answer it, without the request-specific members (instance, requestId). */
export type Problem = Omit<ProblemDetails, 'instance' | 'requestId'>;

export interface ServiceHarness {
  /** The real application, initialised but not listening. Use `get` for its providers. */
  readonly app: NestExpressApplication;
  /** The cloned database; `query` runs as the owner (every tenant visible): ground truth for assertions. */
  readonly database: TestDatabase;
  /** Any provider of the application, whatever module declares it. */
  get<T>(type: Type<T>): T;
  /** A user of a tenant with its current permissions, loaded exactly as AccessGuard loads them. */
  actor(tenantId: string, userId: string): Promise<Actor>;
  /**
   * Runs `work` like an authenticated request: in a fresh context of the actor's tenant (TenantContext.runAs),
   * with its principal and permissions entered, inside one tenant transaction (what TenantTransactionInterceptor
   * opens), so row-level security applies and a failure rolls the whole "request" back.
   */
  as<T>(actor: Actor, work: () => Promise<T>): Promise<T>;
  /**
   * The same context without the surrounding transaction: the `@SingleStatement()` routes (posting a movement),
   * whose one SQL function sets the tenant itself.
   */
  asSingleStatement<T>(actor: Actor, work: () => Promise<T>): Promise<T>;
  /** A body or query shaped into its DTO by the API's own validation pipe (defaults, canonical quantities). */
  input<T extends object>(dto: Type<T>, plain: object, kind?: 'body' | 'query'): Promise<T>;
  /** Stops the application and drops the database. */
  close(): Promise<void>;
}

/**
 * Boots AppModule through the e2e factory (test/support/test-app.ts: same module, same test environment) on a
 * database cloned from the migrated template. Nothing listens: tests call services, never HTTP.
 */
export async function startServiceHarness(
  options: { env?: Record<string, string> } = {},
): Promise<ServiceHarness> {
  const database = await createTestDatabase();
  let booted: Awaited<ReturnType<typeof createTestApp>>;
  try {
    booted = await createTestApp({ database, env: options.env });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const { app } = booted;
  const get = <T>(type: Type<T>): T => app.get(type, { strict: false });
  const context = get(TenantContext);
  const tx = get(TenantTransactions);
  const principals = get(PrincipalLoader);
  const pipe = createValidationPipe();

  const enter = <T>(actor: Actor, work: () => Promise<T>): Promise<T> =>
    context.runAs(
      actor.tenantId,
      () => {
        // runAs enters the principal with no permissions; a request's guard enters them as well.
        context.enter(actor.tenantId, actor.principal, actor.permissions);
        return work();
      },
      actor.principal,
    );

  return {
    app,
    database,
    get,
    async actor(tenantId, userId) {
      const loaded = await principals.user(tenantId, userId);
      return { tenantId, principal: loaded.principal, permissions: [...loaded.permissions] };
    },
    as: (actor, work) => enter(actor, () => tx.run(work)),
    asSingleStatement: (actor, work) => enter(actor, work),
    input: async <T extends object>(dto: Type<T>, plain: object, kind: 'body' | 'query' = 'body') =>
      (await pipe.transform(plain, { type: kind, metatype: dto })) as T,
    async close() {
      try {
        await booted.close();
      } finally {
        await database.drop();
      }
    },
  };
}

const filter = new ProblemDetailsFilter();
const NO_REQUEST = { headers: {}, method: 'SERVICE' } as unknown as Request;

/**
 * The problem the API answers for `error` (the real ProblemDetailsFilter: domain exceptions and mapped
 * PostgreSQL errors alike). An error the API would turn into a 500 is rethrown as is, so the test shows it.
 */
export function problemOf(error: unknown): Problem {
  const { instance: _instance, requestId: _requestId, ...problem } = filter.toProblem(error, NO_REQUEST);
  if (problem.status >= 500) throw error;
  return problem;
}

/** Awaits `promise`, which must fail; returns the failure as the API's problem. */
export async function rejection(promise: Promise<unknown>): Promise<Problem> {
  let value: unknown;
  try {
    value = await promise;
  } catch (error) {
    return problemOf(error);
  }
  throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
}
