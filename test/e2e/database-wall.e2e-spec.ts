import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createApiKey, createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';

/**
 * The database wall: tenant isolation enforced by PostgreSQL row-level security, proven from the attacker's side.
 * The test connects straight to the database as the app role (what a SQL injection or a stolen app credential
 * would give) and shows that, whatever it does, it only ever reaches the rows of the tenant set in its own
 * transaction, cannot write rows into another tenant, and cannot switch the wall off.
 *
 * Tenant tables are discovered from the catalog (every table of schema public with a tenant_id column), so the
 * tables of later migrations are covered without touching this file.
 */

interface TenantTable {
  name: string;
  rls: boolean;
  forced: boolean;
  canSelect: boolean;
  canUpdate: boolean;
  canDelete: boolean;
}

const REQUIRED_TABLES = ['users', 'roles', 'role_permissions', 'user_roles', 'api_keys', 'rbac_audit_log'];
/** Tables every tenant gets rows in through its creation, a user, an API key (see beforeAll). */
const SEEDED_TABLES = ['users', 'roles', 'role_permissions', 'user_roles', 'api_keys'];

/** The error a statement fails with; fails the test when it succeeds. */
async function sqlError(statement: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await statement;
  } catch (error) {
    if (error instanceof pg.DatabaseError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail, it succeeded');
}

describe('database wall (row-level security, seen from the app role)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  /** Owner connection (the superuser of the test server): the ground truth, RLS does not bind it. */
  let owner: pg.Client;
  /** The attacker: connected as inventory_app, exactly as the request path's pool is. */
  let app: pg.Client;
  let tables: TenantTable[];
  /** Ground truth: rows per table per tenant id, counted by the owner. */
  let truth: Map<string, Map<string, number>>;

  const q = (name: string) => app.escapeIdentifier(name);

  async function countTruth(): Promise<Map<string, Map<string, number>>> {
    const counts = new Map<string, Map<string, number>>();
    for (const table of tables) {
      const { rows } = await owner.query<{ tenant: string; n: number }>(
        `select tenant_id::text as tenant, count(*)::int as n from ${owner.escapeIdentifier(table.name)} group by 1`,
      );
      counts.set(table.name, new Map(rows.map((row) => [row.tenant, row.n])));
    }
    return counts;
  }

  function truthOf(table: string, tenantId: string): number {
    return truth.get(table)?.get(tenantId) ?? 0;
  }

  /** Rows the app connection sees in `table`, grouped by tenant. */
  async function visible(table: string): Promise<Map<string, number>> {
    const { rows } = await app.query<{ tenant: string; n: number }>(
      `select tenant_id::text as tenant, count(*)::int as n from ${q(table)} group by 1`,
    );
    return new Map(rows.map((row) => [row.tenant, row.n]));
  }

  async function setTenant(tenantId: string): Promise<void> {
    await app.query(`select set_config('app.tenant_id', $1, true)`, [tenantId]);
  }

  /** Runs `work` in a transaction of `tenantId` on the app connection; rolls back unless told to commit. */
  async function asTenant<T>(tenantId: string, work: () => Promise<T>, commit = false): Promise<T> {
    await app.query('begin');
    try {
      await setTenant(tenantId);
      const result = await work();
      await app.query(commit ? 'commit' : 'rollback');
      return result;
    } catch (error) {
      await app.query('rollback');
      throw error;
    }
  }

  /** Every readable tenant table is empty for the app connection in its current state. */
  async function expectNothingVisible(): Promise<void> {
    const seen: Record<string, number> = {};
    for (const table of tables.filter((candidate) => candidate.canSelect)) {
      const { rows } = await app.query<{ n: number }>(`select count(*)::int as n from ${q(table.name)}`);
      seen[table.name] = rows[0].n;
    }
    expect(Object.values(seen).length).toBeGreaterThanOrEqual(REQUIRED_TABLES.length);
    expect(seen).toEqual(Object.fromEntries(Object.keys(seen).map((name) => [name, 0])));
  }

  beforeAll(async () => {
    t = await createTestApp();
    a = await createTenant(t, 'a');
    b = await createTenant(t, 'b');
    for (const tenant of [a, b]) {
      const counter = await createUser(t, tenant, ['Counter']);
      await createApiKey(t, tenant, 'Analyst');
      // A Counter lacks users:read: the denial is written to rbac_audit_log (in the denied tenant) before the 403.
      const denied = await t.http().get('/api/users').set('Authorization', `Bearer ${counter.token}`);
      expect(denied.status).toBe(403);
    }

    owner = new pg.Client({ connectionString: t.database.url });
    await owner.connect();
    app = new pg.Client({ connectionString: t.endpoints.appUrl });
    await app.connect();

    const discovered = await owner.query<TenantTable>(
      `select c.relname as name,
              c.relrowsecurity as rls,
              c.relforcerowsecurity as forced,
              has_table_privilege('inventory_app', c.oid, 'SELECT') as "canSelect",
              has_table_privilege('inventory_app', c.oid, 'UPDATE') as "canUpdate",
              has_table_privilege('inventory_app', c.oid, 'DELETE') as "canDelete"
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute att on att.attrelid = c.oid
        where n.nspname = 'public'
          and c.relkind in ('r', 'p')
          and att.attname = 'tenant_id'
          and att.attnum > 0
          and not att.attisdropped
        order by c.relname`,
    );
    tables = discovered.rows;
    truth = await countTruth();
  });

  afterAll(async () => {
    await app?.end();
    await owner?.end();
    await t?.close();
  });

  describe('setup', () => {
    it('discovers the tenant tables from the catalog, every one with row-level security enabled and forced', () => {
      const names = tables.map((table) => table.name);
      expect(names).toEqual(expect.arrayContaining(REQUIRED_TABLES));
      expect(names).not.toContain('tenants');
      expect(names).not.toContain('permissions');
      expect(tables.filter((table) => !table.rls || !table.forced).map((table) => table.name)).toEqual([]);
    });

    it('counts the ground truth as a role that row-level security does not bind', async () => {
      const { rows } = await owner.query<{ bypasses: boolean }>(
        `select rolsuper or rolbypassrls as bypasses from pg_roles where rolname = current_user`,
      );
      expect(rows[0].bypasses).toBe(true);
    });

    it('has rows of several tenants in the tables the wall protects', () => {
      for (const table of SEEDED_TABLES) {
        expect({ table, a: truthOf(table, a.id) > 0, b: truthOf(table, b.id) > 0 }).toEqual({
          table,
          a: true,
          b: true,
        });
      }
      expect(truthOf('rbac_audit_log', a.id)).toBe(1);
      expect(truthOf('rbac_audit_log', b.id)).toBe(1);
      // a, b and the bootstrap tenant 'default'
      expect(truth.get('users')?.size).toBeGreaterThanOrEqual(3);
    });

    it('attacks as the app role itself: not a superuser, does not bypass row-level security', async () => {
      const { rows } = await app.query<{ user: string; superuser: boolean; bypassrls: boolean }>(
        `select current_user as user, rolsuper as superuser, rolbypassrls as bypassrls
           from pg_roles where rolname = current_user`,
      );
      expect(rows).toEqual([{ user: 'inventory_app', superuser: false, bypassrls: false }]);
    });
  });

  describe('reading', () => {
    it('sees no row of any tenant table when no tenant is set', async () => {
      await expectNothingVisible();
    });

    it('is refused outright on a tenant table it may not read at all', async () => {
      for (const table of tables.filter((candidate) => !candidate.canSelect)) {
        const error = await sqlError(app.query(`select count(*) from ${q(table.name)}`));
        expect({ table: table.name, code: error.code }).toEqual({ table: table.name, code: '42501' });
      }
      expect(tables.filter((table) => table.canSelect).map((table) => table.name)).toEqual(
        expect.arrayContaining(REQUIRED_TABLES),
      );
    });

    it.each([
      ['a', () => a],
      ['b', () => b],
    ])(
      'sees exactly the rows of tenant %s, and only those, once that tenant is set',
      async (_name, tenantOf) => {
        const tenant = tenantOf();
        const seen = await asTenant(tenant.id, async () => {
          const result: Record<string, Record<string, number>> = {};
          for (const table of tables.filter((candidate) => candidate.canSelect)) {
            result[table.name] = Object.fromEntries(await visible(table.name));
          }
          return result;
        });
        const expected = Object.fromEntries(
          Object.keys(seen).map((table) => [
            table,
            truthOf(table, tenant.id) > 0 ? { [tenant.id]: truthOf(table, tenant.id) } : {},
          ]),
        );
        // only the tenant's own rows, and all of them
        expect(seen).toEqual(expected);
        for (const table of SEEDED_TABLES) expect(seen[table][tenant.id]).toBeGreaterThan(0);
      },
    );

    it("cannot reach another tenant's rows by naming them", async () => {
      const found = await asTenant(a.id, async () => {
        const users = await app.query(`select id from users where tenant_id = $1 and id = $2`, [
          b.id,
          b.admin.id,
        ]);
        const roles = await app.query(`select id from roles where tenant_id = $1`, [b.id]);
        return users.rows.length + roles.rows.length;
      });
      expect(found).toBe(0);
    });

    it('cannot switch row-level security off for its session', async () => {
      await app.query(`set row_security = off`);
      try {
        const error = await sqlError(app.query(`select count(*) from roles`));
        expect(error.code).toBe('42501');
        expect(error.message).toMatch(/row-level security/);
      } finally {
        await app.query(`reset row_security`);
      }
    });
  });

  describe('writing', () => {
    it('cannot insert a row for another tenant (WITH CHECK), while its own tenant is accepted', async () => {
      const intoRoles = `insert into roles (tenant_id, name) values ($1, $2)`;
      const foreign = await asTenant(a.id, () => sqlError(app.query(intoRoles, [b.id, 'Planted by A'])));
      expect(foreign.code).toBe('42501');
      expect(foreign.message).toMatch(/row-level security/);

      const foreignLog = await asTenant(a.id, () =>
        sqlError(
          app.query(
            `insert into rbac_audit_log (tenant_id, method, route, permission) values ($1, 'GET', '/x', 'x:y')`,
            [b.id],
          ),
        ),
      );
      expect(foreignLog.code).toBe('42501');

      const foreignUser = await asTenant(a.id, () =>
        sqlError(
          app.query(`insert into users (tenant_id, email) values ($1, 'planted@example.com')`, [b.id]),
        ),
      );
      expect(foreignUser.code).toBe('42501');

      // control: the same insert for the tenant that is set goes through (rolled back)
      const own = await asTenant(a.id, () => app.query(intoRoles, [a.id, 'Own role of A']));
      expect(own.rowCount).toBe(1);

      // no tenant set: nothing can be inserted at all
      const none = await sqlError(app.query(intoRoles, [b.id, 'Planted by nobody']));
      expect(none.code).toBe('42501');

      expect(await countTruth()).toEqual(truth);
    });

    it('cannot move a row of its tenant into another tenant', async () => {
      const movedRole = await asTenant(a.id, async () => {
        const inserted = await app.query<{ id: string }>(
          `insert into roles (tenant_id, name) values ($1, 'To be moved') returning id`,
          [a.id],
        );
        return sqlError(
          app.query(`update roles set tenant_id = $1 where id = $2`, [b.id, inserted.rows[0].id]),
        );
      });
      expect(movedRole.code).toBe('42501');
      expect(movedRole.message).toMatch(/row-level security/);

      const movedUser = await asTenant(a.id, () =>
        sqlError(app.query(`update users set tenant_id = $1 where id = $2`, [b.id, a.admin.id])),
      );
      expect(movedUser.code).toBe('42501');

      const movedKey = await asTenant(a.id, () =>
        sqlError(app.query(`update api_keys set tenant_id = $1`, [b.id])),
      );
      expect(movedKey.code).toBe('42501');

      expect(await countTruth()).toEqual(truth);
    });

    it("updates and deletes nothing of another tenant's rows, in any tenant table", async () => {
      const affected = await asTenant(
        a.id,
        async () => {
          const result: Record<string, number | null> = {};
          for (const table of tables) {
            if (table.canUpdate) {
              const updated = await app.query(
                `update ${q(table.name)} set tenant_id = tenant_id where tenant_id = $1`,
                [b.id],
              );
              result[`update ${table.name}`] = updated.rowCount;
            }
            if (table.canDelete) {
              const deleted = await app.query(`delete from ${q(table.name)} where tenant_id = $1`, [b.id]);
              result[`delete ${table.name}`] = deleted.rowCount;
            }
          }
          const byId = await app.query(`update users set name = 'pwned' where id = $1`, [b.admin.id]);
          result['update users by id'] = byId.rowCount;
          return result;
        },
        true, // committed: had anything been reached, the owner's counts below would show it
      );
      expect(affected).toMatchObject({
        'update users': 0,
        'update roles': 0,
        'delete roles': 0,
        'delete role_permissions': 0,
        'delete user_roles': 0,
        'delete api_keys': 0,
        'update users by id': 0,
      });
      expect(affected).toEqual(Object.fromEntries(Object.keys(affected).map((key) => [key, 0])));

      expect(await countTruth()).toEqual(truth);
      const { rows } = await owner.query<{ name: string | null }>(
        `select name from users where tenant_id = $1 and id = $2`,
        [b.id, b.admin.id],
      );
      expect(rows).toEqual([{ name: 'Admin' }]);
    });

    it('updates and deletes nothing when no tenant is set', async () => {
      await app.query('begin');
      try {
        for (const table of tables) {
          if (table.canUpdate) {
            const updated = await app.query(`update ${q(table.name)} set tenant_id = tenant_id`);
            expect({ table: table.name, updated: updated.rowCount }).toEqual({
              table: table.name,
              updated: 0,
            });
          }
          if (table.canDelete) {
            const deleted = await app.query(`delete from ${q(table.name)}`);
            expect({ table: table.name, deleted: deleted.rowCount }).toEqual({
              table: table.name,
              deleted: 0,
            });
          }
        }
      } finally {
        await app.query('rollback');
      }
      expect(await countTruth()).toEqual(truth);
    });
  });

  describe('session leftovers', () => {
    it('forgets the tenant when the transaction that set it commits: the next statement on the same connection sees nothing', async () => {
      const { rows: before } = await app.query<{ pid: number }>(`select pg_backend_pid() as pid`);
      const seenInside = await asTenant(
        a.id,
        async () => {
          const { rows } = await app.query<{ n: number }>(`select count(*)::int as n from roles`);
          return rows[0].n;
        },
        true,
      );
      expect(seenInside).toBe(truthOf('roles', a.id));
      expect(seenInside).toBeGreaterThan(0);

      const { rows: after } = await app.query<{ pid: number; setting: string | null }>(
        `select pg_backend_pid() as pid, current_setting('app.tenant_id', true) as setting`,
      );
      expect(after[0].pid).toBe(before[0].pid);
      // the placeholder now exists on this session and reads as '' (hence the NULLIF in the policy)
      expect(after[0].setting).toBe('');
      await expectNothingVisible();
    });

    it('forgets the tenant when the transaction that set it rolls back', async () => {
      await app.query('begin');
      await setTenant(b.id);
      const { rows } = await app.query<{ n: number }>(`select count(*)::int as n from users`);
      expect(rows[0].n).toBe(truthOf('users', b.id));
      await app.query('rollback');
      await expectNothingVisible();
    });

    it('treats an empty session-level setting as no tenant: no error, no rows', async () => {
      const { rows } = await app.query<{ setting: string }>(
        `select set_config('app.tenant_id', '', false) as setting`,
      );
      expect(rows[0].setting).toBe('');
      try {
        await expectNothingVisible();
        const inserted = await sqlError(
          app.query(`insert into roles (tenant_id, name) values ($1, 'Planted with empty tenant')`, [a.id]),
        );
        expect(inserted.code).toBe('42501');
      } finally {
        await app.query(`reset app.tenant_id`);
      }
    });
  });

  describe('grants', () => {
    it('cannot delete users (erasure keeps the id), even within its own tenant', async () => {
      const error = await asTenant(a.id, () =>
        sqlError(app.query(`delete from users where id = $1`, [a.admin.id])),
      );
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/permission denied/);
    });

    it('cannot update or delete the RBAC denial log (append-only), even within its own tenant', async () => {
      const updated = await asTenant(a.id, () =>
        sqlError(app.query(`update rbac_audit_log set permission = 'users:write'`)),
      );
      expect(updated.code).toBe('42501');
      expect(updated.message).toMatch(/permission denied/);
      const deleted = await asTenant(a.id, () => sqlError(app.query(`delete from rbac_audit_log`)));
      expect(deleted.code).toBe('42501');
      expect(deleted.message).toMatch(/permission denied/);
    });

    it('cannot create tables in schema public', async () => {
      const error = await sqlError(app.query(`create table public.attacker_table (id int)`));
      expect(error.code).toBe('42501');
      expect(error.message).toMatch(/permission denied for schema public/);
    });

    it('cannot truncate any tenant table (TRUNCATE does not go through row-level security)', async () => {
      for (const table of tables) {
        const error = await sqlError(app.query(`truncate ${q(table.name)}`));
        expect({ table: table.name, code: error.code }).toEqual({ table: table.name, code: '42501' });
      }
      expect(await countTruth()).toEqual(truth);
    });

    it('cannot disable or relax row-level security on any tenant table (not the owner)', async () => {
      for (const table of tables) {
        const disable = await sqlError(app.query(`alter table ${q(table.name)} disable row level security`));
        const noForce = await sqlError(app.query(`alter table ${q(table.name)} no force row level security`));
        expect({ table: table.name, disable: disable.code, noForce: noForce.code }).toEqual({
          table: table.name,
          disable: '42501',
          noForce: '42501',
        });
      }
    });

    it('cannot become the owner role', async () => {
      const { rows } = await owner.query<{ owner: string }>(`select current_user as owner`);
      const error = await sqlError(app.query(`set role ${q(rows[0].owner)}`));
      expect(error.code).toBe('42501');
    });
  });
});
