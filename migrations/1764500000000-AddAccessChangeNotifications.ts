import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change to what decides a request's access (tenants, users, their roles, role permissions, API keys) sends
 * NOTIFY access_changed with the tenant id, at commit. Each service process listens and drops that tenant's
 * cached principals and tenant row, so a suspension, revocation or role change applies on the next request on
 * every replica while the steady state costs no database round trip for authentication (docs/design.md).
 * auth_api_key() now also returns the key's expiry, so a cached key is never served past it.
 */
export class AddAccessChangeNotifications1764500000000 implements MigrationInterface {
  name = 'AddAccessChangeNotifications1764500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION notify_access_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- TG_ARGV[0] names the tenant column (id for tenants, tenant_id elsewhere). Identical notifications
        -- within one transaction are folded into one by PostgreSQL.
        PERFORM pg_notify('access_changed',
          to_jsonb(CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END) ->> TG_ARGV[0]);
        RETURN NULL;
      END $$`);
    for (const table of ['tenants', 'users', 'user_roles', 'roles', 'role_permissions', 'api_keys']) {
      const tenantColumn = table === 'tenants' ? 'id' : 'tenant_id';
      await queryRunner.query(`
        CREATE TRIGGER ${table}_access_changed AFTER INSERT OR UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION notify_access_changed('${tenantColumn}')`);
    }

    await queryRunner.query(`DROP FUNCTION auth_api_key(uuid, bytea)`);
    await queryRunner.query(`
      CREATE FUNCTION auth_api_key(p_tenant uuid, p_key_hash bytea)
        RETURNS TABLE (id uuid, revoked boolean, expired boolean, expires_at timestamptz, permissions text[])
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      #variable_conflict use_column
      BEGIN
        IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
          RAISE EXCEPTION 'a transaction of another tenant is open';
        END IF;
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        UPDATE api_keys k SET last_used_at = now()
         WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash AND k.revoked_at IS NULL
           AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
        RETURN QUERY
          SELECT k.id, k.revoked_at IS NOT NULL, coalesce(k.expires_at <= now(), false), k.expires_at,
                 array(SELECT rp.permission FROM role_permissions rp
                        WHERE rp.tenant_id = k.tenant_id AND rp.role_id = k.role_id ORDER BY 1)
            FROM api_keys k
           WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash;
      END $$`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION auth_api_key(uuid, bytea) TO inventory_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['tenants', 'users', 'user_roles', 'roles', 'role_permissions', 'api_keys']) {
      await queryRunner.query(`DROP TRIGGER ${table}_access_changed ON ${table}`);
    }
    await queryRunner.query(`DROP FUNCTION notify_access_changed()`);
    // The previous auth_api_key(), without expires_at (CreateTenancyAndAccess).
    await queryRunner.query(`DROP FUNCTION auth_api_key(uuid, bytea)`);
    await queryRunner.query(`
      CREATE FUNCTION auth_api_key(p_tenant uuid, p_key_hash bytea)
        RETURNS TABLE (id uuid, revoked boolean, expired boolean, permissions text[])
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      #variable_conflict use_column
      BEGIN
        IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
          RAISE EXCEPTION 'a transaction of another tenant is open';
        END IF;
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        UPDATE api_keys k SET last_used_at = now()
         WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash AND k.revoked_at IS NULL
           AND (k.last_used_at IS NULL OR k.last_used_at < now() - interval '1 minute');
        RETURN QUERY
          SELECT k.id, k.revoked_at IS NOT NULL, coalesce(k.expires_at <= now(), false),
                 array(SELECT rp.permission FROM role_permissions rp
                        WHERE rp.tenant_id = k.tenant_id AND rp.role_id = k.role_id ORDER BY 1)
            FROM api_keys k
           WHERE k.tenant_id = p_tenant AND k.key_hash = p_key_hash;
      END $$`);
    await queryRunner.query(`GRANT EXECUTE ON FUNCTION auth_api_key(uuid, bytea) TO inventory_app`);
  }
}
