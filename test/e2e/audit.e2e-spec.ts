import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { AuditRetention } from '../../src/modules/audit/audit-retention.service.js';
import { ReconciliationService } from '../../src/modules/reconciliation/index.js';
import { bodyOf } from '../support/api-body.js';
import type {
  AuditEntryPage,
  AuditEntryView,
  ItemView,
  LocationView,
  MovementView,
  RoleView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createApiKey, createTenant, createUser, type TestTenant } from '../support/tenant-factory.js';

async function sqlError(statement: Promise<unknown>): Promise<pg.DatabaseError> {
  try {
    await statement;
  } catch (error) {
    if (error instanceof pg.DatabaseError) return error;
    throw error;
  }
  throw new Error('expected the statement to fail, it succeeded');
}

describe('audit log: every change and every denial, append-only, per tenant', () => {
  let t: TestApp;
  let a: TestTenant;

  const as = (tenant: TestTenant) => ({ Authorization: `Bearer ${tenant.admin.token}` });

  async function entries(tenant: TestTenant, query: Record<string, string>): Promise<AuditEntryView[]> {
    const response = await t
      .http()
      .get(`/api/audit-logs?${new URLSearchParams({ limit: '500', ...query }).toString()}`)
      .set(as(tenant));
    expect(response.status).toBe(200);
    return bodyOf<AuditEntryPage>(response).data;
  }

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    a = await createTenant(t, 'audit-a');
  });

  afterAll(async () => {
    await t?.close();
  });

  it('records create, update and delete of an item with before/after, actor, request id and IP', async () => {
    const requestId = `req-${randomUUID()}`;
    const created = await t
      .http()
      .post('/api/items')
      .set(as(a))
      .set('X-Request-Id', requestId)
      .send({ sku: 'AUD-1', name: 'Audited', baseUom: 'ea' });
    expect(created.status).toBe(201);
    const itemId = bodyOf<ItemView>(created).id;
    expect(
      (await t.http().patch(`/api/items/${itemId}`).set(as(a)).send({ name: 'Audited twice' })).status,
    ).toBe(200);
    expect((await t.http().delete(`/api/items/${itemId}`).set(as(a))).status).toBe(204);

    const trail = await entries(a, { entityType: 'item', entityId: itemId });
    // newest first
    expect(trail.map((entry) => entry.action)).toEqual(['item.deleted', 'item.updated', 'item.created']);
    const [deleted, updated, createdEntry] = trail;
    expect(createdEntry).toMatchObject({
      actorId: a.admin.id,
      actorKind: 'user',
      requestId,
      before: null,
      after: { id: itemId, sku: 'AUD-1', name: 'Audited' },
    });
    expect(createdEntry.ip).toEqual(expect.stringMatching(/127\.0\.0\.1|::1/));
    expect(createdEntry.after).not.toHaveProperty('tenant_id');
    expect(updated.before).toMatchObject({ name: 'Audited' });
    expect(updated.after).toMatchObject({ name: 'Audited twice' });
    expect(deleted.before).toMatchObject({ id: itemId, name: 'Audited twice' });
    expect(deleted.after).toBeNull();
  });

  it('records a posted movement with its author, and a role change with before/after', async () => {
    const item = await t
      .http()
      .post('/api/items')
      .set(as(a))
      .send({ sku: 'AUD-2', name: 'Moved', baseUom: 'ea' });
    const bin = await t.http().post('/api/locations').set(as(a)).send({ site: 'Audit', name: 'A-1' });
    const requestId = `req-${randomUUID()}`;
    const posted = await t
      .http()
      .post('/api/inventory/movements')
      .set(as(a))
      .set('X-Request-Id', requestId)
      .send({
        type: 'receipt',
        reference: 'PO-AUDIT',
        lines: [{ itemId: bodyOf<ItemView>(item).id, locationId: bodyOf<LocationView>(bin).id, qty: '3' }],
      });
    expect(posted.status).toBe(201);
    const movementId = bodyOf<MovementView>(posted).id;
    const [movement] = await entries(a, { entityType: 'movement', entityId: movementId });
    expect(movement).toMatchObject({
      action: 'movement.created',
      actorId: a.admin.id,
      actorKind: 'user',
      requestId,
      after: { id: movementId, type: 'receipt', reference: 'PO-AUDIT', line_count: 1 },
    });

    const role = await t
      .http()
      .post('/api/roles')
      .set(as(a))
      .send({ name: 'Receiver', permissions: ['items:read'] });
    expect(role.status).toBe(201);
    const roleId = bodyOf<RoleView>(role).id;
    const changed = await t
      .http()
      .patch(`/api/roles/${roleId}`)
      .set(as(a))
      .send({ name: 'Receiving clerk', permissions: ['items:read', 'inventory:write'] });
    expect(changed.status).toBe(200);
    const roleTrail = await entries(a, { entityId: roleId });
    const update = roleTrail.find((entry) => entry.action === 'role.updated');
    expect(update?.before).toMatchObject({ name: 'Receiver' });
    expect(update?.after).toMatchObject({ name: 'Receiving clerk' });
    const granted = roleTrail.filter((entry) => entry.action === 'role_permission.created');
    expect(granted.map((entry) => entry.after?.permission).sort()).toEqual(
      expect.arrayContaining(['inventory:write', 'items:read']),
    );
  });

  it('lists permission denials next to changes, filterable by action and actor', async () => {
    const analyst = await createUser(t, a, ['Analyst']);
    const denied = await t
      .http()
      .post('/api/items')
      .set('Authorization', `Bearer ${analyst.token}`)
      .send({ sku: 'NOPE', name: 'Denied', baseUom: 'ea' });
    expect(denied.status).toBe(403);
    const denials = await entries(a, { action: 'permission.denied', actorId: analyst.id });
    expect(denials).toHaveLength(1);
    expect(denials[0]).toMatchObject({
      actorKind: 'user',
      entityType: 'permission',
      entityId: 'items:write',
      after: { method: 'POST', permission: 'items:write' },
    });
    // An Analyst cannot read the audit log itself (audit:read), and that is a denial too.
    const read = await t.http().get('/api/audit-logs').set('Authorization', `Bearer ${analyst.token}`);
    expect(read.status).toBe(403);
  });

  it('never copies secrets or personal data; an erasure is audited and leaves no e-mail behind', async () => {
    const key = await createApiKey(t, a, 'Analyst');
    const [keyCreated] = await entries(a, { entityType: 'api_key', entityId: key.id });
    expect(keyCreated.after).toMatchObject({ key_hash: '[redacted]' });

    const user = await createUser(t, a, ['Analyst'], `erase-me-${randomUUID().slice(0, 6)}@audit.example`);
    const erased = await t.http().delete(`/api/users/${user.id}`).set(as(a));
    expect(erased.status).toBe(204);
    const login = await t
      .http()
      .post('/api/auth/login')
      .set('X-Tenant-Id', a.slug)
      .send({ email: user.email, password: user.password });
    expect(login.status).toBe(401);

    const userTrail = await entries(a, { entityType: 'user', entityId: user.id });
    expect(userTrail.map((entry) => entry.action)).toEqual(['user.erased', 'user.created']);
    expect(userTrail[0]).toMatchObject({ actorId: a.admin.id, after: { status: 'deleted' } });
    expect(userTrail[1].after).toMatchObject({ email: '[redacted]', password_hash: '[redacted]' });
    // Nowhere in the tenant's audit log (raw table, every column) is the erased address or a password hash.
    const [leaks] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from audit_logs where tenant_id = $1
          and (audit_logs::text ilike $2 or audit_logs::text like '%$argon2%')`,
      [a.id, `%${user.email}%`],
    );
    expect(leaks.n).toBe(0);
  });

  /** Creates `n` items in `tenant` and renames each: 2n audit entries of the test's own. */
  async function auditedChanges(tenant: TestTenant, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i += 1) {
      const created = await t
        .http()
        .post('/api/items')
        .set(as(tenant))
        .send({ sku: `AUD-PAGE-${i}`, name: `Paged ${i}`, baseUom: 'ea' })
        .expect(201);
      const id = bodyOf<ItemView>(created).id;
      await t
        .http()
        .patch(`/api/items/${id}`)
        .set(as(tenant))
        .send({ name: `Paged ${i} again` })
        .expect(200);
      ids.push(id);
    }
    return ids;
  }

  it('keeps tenants apart: B sees none of A’s entries', async () => {
    const ofTenant = await createTenant(t, 'audit-apart');
    const other = await createTenant(t, 'audit-other');
    const [itemOfA] = await auditedChanges(ofTenant, 3);
    const ofA = await entries(ofTenant, {});
    expect(ofA.length).toBeGreaterThanOrEqual(2 * 3);
    const ofB = await entries(other, {});
    const idsOfA = new Set(ofA.map((entry) => entry.id));
    expect(ofB.some((entry) => idsOfA.has(entry.id))).toBe(false);
    expect(ofA.some((entry) => entry.entityType === 'item' && entry.entityId === itemOfA)).toBe(true);
    expect(await entries(other, { entityId: itemOfA })).toEqual([]);
    const [rows] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from audit_logs where tenant_id = $1`,
      [other.id],
    );
    // B's own log is not empty (its creation), so the filter above returned nothing for the right reason.
    expect(rows.n).toBeGreaterThan(0);
  });

  it('pages newest first with a cursor, without gaps or repeats', async () => {
    const paged = await createTenant(t, 'audit-pages');
    const pageSize = 7;
    // More than two pages of the test's own entries, so the cursor is followed at least twice.
    await auditedChanges(paged, pageSize + 1);
    const all = await entries(paged, {});
    expect(all.length).toBeGreaterThan(2 * pageSize);
    const seen: string[] = [];
    let pages = 0;
    let cursor: string | null = null;
    do {
      const query = new URLSearchParams({ limit: String(pageSize), ...(cursor && { cursor }) });
      const response = await t.http().get(`/api/audit-logs?${query.toString()}`).set(as(paged));
      expect(response.status).toBe(200);
      // Annotated: the loop assigns cursor from it, which type inference would otherwise go round in.
      const page: AuditEntryPage = bodyOf<AuditEntryPage>(response);
      seen.push(...page.data.map((entry) => entry.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(all.map((entry) => entry.id));
    expect(pages).toBe(Math.ceil(all.length / pageSize));
    const bad = await t.http().get('/api/audit-logs?cursor=garbage').set(as(paged));
    expect(bad.status).toBe(400);
    const badDate = await t.http().get('/api/audit-logs?from=yesterday').set(as(paged));
    expect(badDate.status).toBe(400);
  });

  it('is append-only: no UPDATE or DELETE for the app role, and the trigger refuses the owner', async () => {
    const app = new pg.Client({ connectionString: t.endpoints.appUrl });
    await app.connect();
    try {
      await app.query(`select set_config('app.tenant_id', $1, false)`, [a.id]);
      const visible = await app.query<{ n: number }>(`select count(*)::int as n from audit_logs`);
      expect(visible.rows[0].n).toBeGreaterThan(0);
      expect((await sqlError(app.query(`update audit_logs set action = 'x'`))).code).toBe('42501');
      expect((await sqlError(app.query(`delete from audit_logs`))).code).toBe('42501');
      expect((await sqlError(app.query(`truncate audit_logs`))).code).toBe('42501');
    } finally {
      await app.end();
    }
    const ownerUpdate = await sqlError(
      t.database.query(`update audit_logs set action = 'x' where tenant_id = $1`, [a.id]),
    );
    expect(ownerUpdate.code).toBe('IEA02');
    const ownerDelete = await sqlError(
      t.database.query(`delete from audit_logs where tenant_id = $1`, [a.id]),
    );
    expect(ownerDelete.code).toBe('IEA02');
  });

  it('purges entries older than AUDIT_RETENTION_DAYS and keeps the rest', async () => {
    const tenant = await createTenant(t, 'audit-retention');
    const [old] = await t.database.query<{ id: string }>(
      `insert into audit_logs (tenant_id, actor_kind, action, entity_type, created_at)
       values ($1, 'system', 'test.old', 'test', now() - interval '401 days') returning id`,
      [tenant.id],
    );
    await t.database.query(
      `insert into rbac_audit_log (tenant_id, method, route, permission, created_at)
       values ($1, 'GET', '/api/items', 'items:read', now() - interval '401 days')`,
      [tenant.id],
    );
    const [before] = await t.database.query<{ n: number }>(
      `select count(*)::int as n from audit_logs where tenant_id = $1`,
      [tenant.id],
    );
    const result = await t.app.get(AuditRetention).purge();
    expect(result.changes).toBeGreaterThanOrEqual(1);
    expect(result.denials).toBeGreaterThanOrEqual(1);
    const remaining = await t.database.query<{ id: string }>(
      `select id from audit_logs where tenant_id = $1`,
      [tenant.id],
    );
    expect(remaining.map((row) => row.id)).not.toContain(old.id);
    expect(remaining).toHaveLength(before.n - 1);
  });

  it('records reconciliation corrections and alerts as system entries', async () => {
    const tenant = await createTenant(t, 'audit-drift');
    const item = await t
      .http()
      .post('/api/items')
      .set(as(tenant))
      .send({ sku: 'DR-1', name: 'Drift', baseUom: 'ea' });
    const bin = await t.http().post('/api/locations').set(as(tenant)).send({ site: 'D', name: 'D-1' });
    const posted = await t
      .http()
      .post('/api/inventory/movements')
      .set(as(tenant))
      .send({
        type: 'receipt',
        lines: [
          {
            itemId: bodyOf<ItemView>(item).id,
            locationId: bodyOf<LocationView>(bin).id,
            qty: '10',
          },
        ],
      });
    expect(posted.status).toBe(201);
    // Tamper with the balance behind the trigger's back (owner connection): a drift of 5 is alerted, not fixed.
    await t.database.query(`update inventory_balances set qty = qty + 5 where tenant_id = $1`, [tenant.id]);
    const report = await t.app.get(ReconciliationService).reconcile({ tenant: tenant.slug, trigger: 'test' });
    expect(report.alertedKeys).toBe(1);
    const [alert] = await entries(tenant, { action: 'balance.drift_detected' });
    expect(alert).toMatchObject({
      actorKind: 'system',
      actorName: 'reconciliation',
      entityType: 'inventory_balance',
      after: { keys: 1, drifts: [expect.objectContaining({ drift: '5', action: 'alerted' })] },
    });
  });
});
