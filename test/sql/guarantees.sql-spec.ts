import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import {
  openSqlDatabase,
  postMovement,
  sqlFixtures,
  type SqlDatabase,
  type SqlTenant,
} from '../support/sql-database.js';

/**
 * The guarantees the database keeps for every caller, called directly: authentication lookups, the audit
 * trail, tenant limits, the append-only ledger, the webhook fan-out, the documents the API returns.
 */
describe('database guarantees', () => {
  let db: SqlDatabase;
  let tenant: SqlTenant;

  beforeAll(async () => {
    db = await openSqlDatabase();
  });
  afterAll(() => db.close());
  beforeEach(async () => {
    await db.begin();
    tenant = await sqlFixtures.tenant(db);
  });
  afterEach(() => db.rollback());

  async function role(permissions: string[]): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `insert into roles (tenant_id, name) values ($1, $2) returning id`,
      [tenant.id, `role-${randomUUID().slice(0, 8)}`],
    );
    for (const permission of permissions)
      await db.query(`insert into role_permissions (tenant_id, role_id, permission) values ($1, $2, $3)`, [
        tenant.id,
        id,
        permission,
      ]);
    return id;
  }

  async function user(roleId?: string): Promise<string> {
    const [{ id }] = await db.query<{ id: string }>(
      `insert into users (tenant_id, email, name, password_hash) values ($1, $2, 'Ada', 'argon2-hash') returning id`,
      [tenant.id, `ada-${randomUUID().slice(0, 8)}@example.test`],
    );
    if (roleId)
      await db.query(`insert into user_roles (tenant_id, user_id, role_id) values ($1, $2, $3)`, [
        tenant.id,
        id,
        roleId,
      ]);
    return id;
  }

  describe('auth_user() and auth_api_key()', () => {
    it("returns a user's status and the permissions of all its roles, once each, sorted", async () => {
      const userId = await user(await role(['items:write', 'items:read']));
      await db.query(`insert into user_roles (tenant_id, user_id, role_id) values ($1, $2, $3)`, [
        tenant.id,
        userId,
        await role(['items:read', 'locations:read']),
      ]);
      expect(await db.query(`select * from auth_user($1, $2)`, [tenant.id, userId])).toEqual([
        {
          status: 'active',
          platform_admin: false,
          permissions: ['items:read', 'items:write', 'locations:read'],
        },
      ]);
    });

    it('returns nothing for a user of no such id', async () => {
      expect(await db.query(`select * from auth_user($1, $2)`, [tenant.id, randomUUID()])).toEqual([]);
    });

    it('returns a key by its hash with revoked and expired flags', async () => {
      const hash = createHash('sha256').update('secret-key').digest();
      const roleId = await role(['inventory:read']);
      await db.query(
        `insert into api_keys (tenant_id, name, role_id, prefix, key_hash, expires_at)
         values ($1, 'ci', $2, 'ie_test', $3, now() - interval '1 minute')`,
        [tenant.id, roleId, hash],
      );
      const [key] = await db.query<{ revoked: boolean; expired: boolean; permissions: string[] }>(
        `select revoked, expired, permissions from auth_api_key($1, $2)`,
        [tenant.id, hash],
      );
      expect(key).toEqual({ revoked: false, expired: true, permissions: ['inventory:read'] });
    });
  });

  describe('audit_row_change()', () => {
    it('records who acted and redacts secrets and personal data', async () => {
      const userId = await user();
      const [entry] = await db.query<{
        action: string;
        actor_kind: string;
        actor_name: string;
        after: Record<string, unknown>;
      }>(`select action, actor_kind, actor_name, after from audit_logs where entity_id = $1`, [userId]);
      expect(entry.action).toBe('user.created');
      expect([entry.actor_kind, entry.actor_name]).toEqual(['system', 'test']);
      expect(entry.after).toMatchObject({
        email: '[redacted]',
        name: '[redacted]',
        password_hash: '[redacted]',
      });
      expect(JSON.stringify(entry)).not.toContain('argon2-hash');
    });

    it('uses a named action while app.audit_action is set, and skips an update that changes nothing', async () => {
      const userId = await user();
      await db.query(`select set_config('app.audit_action', 'user.erased', true)`);
      await db.query(`update users set status = 'suspended' where id = $1`, [userId]);
      await db.query(`update users set status = status where id = $1`, [userId]);
      await db.query(`select set_config('app.audit_action', '', true)`);
      const actions = await db.query<{ action: string }>(
        `select action from audit_logs where entity_id = $1`,
        [userId],
      );
      expect(actions.map((a) => a.action).sort()).toEqual(['user.created', 'user.erased']);
    });

    it('the app role can neither change nor delete the log', async () => {
      await user();
      expect((await db.fails(`update audit_logs set action = 'x'`)).code).toBe('42501');
      expect((await db.fails(`delete from audit_logs`)).code).toBe('42501');
    });
  });

  describe('enforce_tenant_limit()', () => {
    it('refuses the item past maxItems (IEL01), counting only live ones', async () => {
      await db.query(`update tenants set settings = '{"limits": {"maxItems": 2}}' where id = $1`, [
        tenant.id,
      ]);
      await sqlFixtures.item(db, tenant, { archived: true });
      await sqlFixtures.item(db, tenant);
      await sqlFixtures.item(db, tenant);
      const error = await db.fails(
        `insert into items (tenant_id, id, sku, name, base_uom) values ($1, gen_random_uuid(), 'X', 'X', 'ea')`,
        [tenant.id],
      );
      expect([error.code, error.detail]).toEqual(['IEL01', 'maxItems']);
    });
  });

  describe('the ledger, the balances and the documents', () => {
    it('the app role can neither change nor delete ledger rows', async () => {
      const item = await sqlFixtures.item(db, tenant);
      const location = await sqlFixtures.location(db, tenant);
      await postMovement(db, tenant, {
        type: 'receipt',
        lines: [{ itemId: item, locationId: location, qty: '1' }],
      });
      expect((await db.fails(`update inventory_ledger set qty = 2`)).code).toBe('42501');
      expect((await db.fails(`delete from inventory_ledger`)).code).toBe('42501');
    });

    it('one balance row per key, summed in one statement over many ledger rows', async () => {
      const item = await sqlFixtures.item(db, tenant);
      const location = await sqlFixtures.location(db, tenant);
      for (const qty of ['1.5', '2', '3.25'])
        await postMovement(db, tenant, {
          type: 'receipt',
          lines: [{ itemId: item, locationId: location, qty }],
        });
      const rows = await db.query<{ qty: string; ledger: string }>(
        `select trim_scale(b.qty)::text as qty,
                (select trim_scale(sum(qty_base))::text from inventory_ledger l
                  where l.item_id = b.item_id and l.location_id = b.location_id) as ledger
           from inventory_balances b`,
      );
      expect(rows).toEqual([{ qty: '6.75', ledger: '6.75' }]);
    });

    it('movement_document() returns the movement as the API does, with its lines', async () => {
      const item = await sqlFixtures.item(db, tenant, { lotTracked: true });
      const location = await sqlFixtures.location(db, tenant);
      const posted = await postMovement(db, tenant, {
        type: 'receipt',
        reference: 'PO-1',
        lines: [{ itemId: item, locationId: location, qty: '2', lotCode: ' L-7 ' }],
      });
      const [{ document }] = await db.query<{ document: Record<string, unknown> }>(
        `select movement_document($1) as document`,
        [posted.body.id],
      );
      expect(document).toEqual(posted.body);
      expect(posted.body.lines[0]).toMatchObject({ lotCode: 'L-7', qty: '2', qtyBase: '2' });
    });
  });

  describe('fan_out_webhook_deliveries()', () => {
    it('creates one delivery per active endpoint subscribed to the type, in the same transaction', async () => {
      const endpoint = async (events: string[], status = 'active') => {
        const id = randomUUID();
        await db.query(
          `insert into webhook_endpoints (tenant_id, id, name, url, events, retry_count, timeout_ms, status,
                                          secret_encrypted)
           values ($1, $2::uuid, $2::text, 'https://receiver.example/hook', $3, 3, 1000, $4, 'encrypted')`,
          [tenant.id, id, events, status],
        );
        return id;
      };
      const all = await endpoint(['*']);
      const posted = await endpoint(['movement.posted']);
      await endpoint(['count.posted']);
      await endpoint(['*'], 'disabled');
      await db.query(
        `insert into outbox_events (tenant_id, type, payload) values ($1, 'movement.posted', '{}')`,
        [tenant.id],
      );
      const deliveries = await db.query<{ endpoint_id: string }>(
        `select endpoint_id from webhook_deliveries order by endpoint_id`,
      );
      expect(deliveries.map((d) => d.endpoint_id)).toEqual([all, posted].sort());
    });
  });
});
