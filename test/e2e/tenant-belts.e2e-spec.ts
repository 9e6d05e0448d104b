import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getDataSourceToken } from '@nestjs/typeorm';
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from '../../src/platform/database/database.constants.js';
import { RoleEntity } from '../../src/modules/roles/role.entity.js';
import { TenantContext, TenantContextMissingError } from '../../src/platform/tenancy/tenant-context.js';
import { TenantIsolationError } from '../../src/platform/tenancy/tenant-owned.entity.js';
import { TenantTransactions } from '../../src/platform/tenancy/tenant-transactions.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

/** The belts behind row-level security: the insert stamp, the update guard and the load listener. */
describe('tenant context, stamp subscriber and load listener', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let context: TenantContext;
  let tx: TenantTransactions;

  beforeAll(async () => {
    t = await createTestApp();
    a = await createTenant(t, 'belt-a');
    b = await createTenant(t, 'belt-b');
    context = t.app.get(TenantContext);
    tx = t.app.get(TenantTransactions);
  });
  afterAll(() => t.close());

  it('fails closed: no tenant in context is an error, not "all tenants"', async () => {
    expect(() => context.tenantId).toThrow(TenantContextMissingError);
    await expect(tx.run(() => Promise.resolve(1))).rejects.toThrow(TenantContextMissingError);
  });

  it('stamps tenant_id from the context on insert', async () => {
    const id = randomUUID();
    await context.runAs(a.id, () =>
      tx.run(() => tx.manager.insert(RoleEntity, { id, name: `stamped-${id}`, system: false })),
    );
    const [row] = await t.database.query<{ tenant_id: string }>(`select tenant_id from roles where id = $1`, [
      id,
    ]);
    expect(row).toEqual({ tenant_id: a.id });
  });

  it('refuses to insert a row for another tenant than the context', async () => {
    const attempt = context.runAs(a.id, () =>
      tx.run(() =>
        tx.manager.insert(RoleEntity, { tenantId: b.id, id: randomUUID(), name: 'intruder', system: false }),
      ),
    );
    await expect(attempt).rejects.toThrow(TenantIsolationError);
  });

  it('refuses to move a row to another tenant on save', async () => {
    const attempt = context.runAs(a.id, () =>
      tx.run(async () => {
        const role = await tx.manager.getRepository(RoleEntity).findOneByOrFail({ id: a.roles.Counter });
        role.tenantId = b.id;
        await tx.manager.save(role);
      }),
    );
    await expect(attempt).rejects.toThrow(TenantIsolationError);
  });

  it("throws when a row of another tenant is loaded in a tenant's context (e.g. through a connection without RLS)", async () => {
    const owner = t.app.get<DataSource>(getDataSourceToken(MAINTENANCE_DATA_SOURCE));
    const attempt = context.runAs(a.id, () =>
      owner.getRepository(RoleEntity).findOneBy({ id: b.roles.Admin }),
    );
    await expect(attempt).rejects.toThrow(TenantIsolationError);
    // Outside any tenant context (a maintenance job over all tenants) the same load is allowed.
    await expect(owner.getRepository(RoleEntity).findOneBy({ id: b.roles.Admin })).resolves.toMatchObject({
      tenantId: b.id,
    });
  });

  it('runAs isolates: the inner tenant does not leak out, and joining a transaction of another tenant is refused', async () => {
    await context.runAs(a.id, async () => {
      await context.runAs(b.id, () => Promise.resolve(expect(context.tenantId).toBe(b.id)));
      expect(context.tenantId).toBe(a.id);
      await tx.run(async () => {
        await expect(tx.runFor(b.id, () => Promise.resolve(1))).rejects.toThrow(/refusing/);
        // A nested runAs gets its own transaction (own connection), in its own tenant.
        const seen = await context.runAs(b.id, () =>
          tx.run(() => tx.manager.query<{ id: string }[]>(`select distinct tenant_id as id from roles`)),
        );
        expect(seen).toEqual([{ id: b.id }]);
      });
    });
  });
});
