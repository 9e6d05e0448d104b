import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Tenants, the permission catalog, users, roles, API keys and the RBAC denial log.
 *
 * - `tenants` and `permissions` are global (no tenant_id). Everything else is a tenant table: tenant_id NOT NULL,
 *   keys leading with tenant_id, row-level security enabled and forced with the policy of docs/design.md, applied by
 *   `enable_tenant_isolation()`, which later migrations call for their own tables.
 * - The app role gets exactly the DML each table needs: no DELETE on users (GDPR erase keeps the id), and the
 *   denial log is append-only.
 * - Tenant limits are enforced by a trigger that locks the tenant row, so two concurrent creations cannot both
 *   take the last slot. SQLSTATE IEL01 = limit exceeded (mapped to 409 limit-exceeded).
 * - `auth_user()` / `auth_api_key()` load a principal in one round trip: they set the tenant for their own
 *   statement's transaction first, so row-level security still decides what they can see.
 */
export class CreateTenancyAndAccess1764200000000 implements MigrationInterface {
  name = 'CreateTenancyAndAccess1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION enable_tenant_isolation(target regclass) RETURNS void LANGUAGE plpgsql AS $$
      BEGIN
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', target);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', target);
        -- NULLIF: once a pooled session has used the setting, "unset" reads as '' and ''::uuid would raise.
        EXECUTE format(
          'CREATE POLICY tenant_isolation ON %s
             USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)
             WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)',
          target);
      END $$`);

    await queryRunner.query(`
      CREATE TABLE tenants (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
        settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    await queryRunner.query(`
      CREATE TABLE permissions (
        code text PRIMARY KEY CHECK (code ~ '^[a-z]+:[a-z]+$'),
        description text NOT NULL
      )`);
    await queryRunner.query(`
      INSERT INTO permissions (code, description) VALUES
        ('items:read', 'List and read items'),
        ('items:write', 'Create, change and archive items'),
        ('locations:read', 'List and read locations'),
        ('locations:write', 'Create, change and archive locations'),
        ('inventory:read', 'Read balances, the ledger and movements'),
        ('inventory:write', 'Post receipts, issues and transfers'),
        ('inventory:adjust', 'Post adjustments'),
        ('counts:read', 'Read count sheets'),
        ('counts:write', 'Create count sheets and enter counted quantities'),
        ('counts:approve', 'Approve count sheets (posts their adjustments) and see blind expected quantities'),
        ('users:read', 'List and read users'),
        ('users:write', 'Create, change, suspend and erase users'),
        ('roles:read', 'List roles and the permission catalog'),
        ('roles:write', 'Create, change and delete custom roles'),
        ('apikeys:read', 'List API keys (never their secrets)'),
        ('apikeys:write', 'Create and revoke API keys'),
        ('webhooks:read', 'Read webhook endpoints and their deliveries'),
        ('webhooks:write', 'Manage webhook endpoints, retry deliveries, rotate secrets'),
        ('audit:read', 'Read the audit log'),
        ('reports:read', 'Read reports and summaries'),
        ('settings:read', 'Read tenant settings and feature flags'),
        ('settings:write', 'Change tenant settings and feature flags'),
        ('tenant:read', 'Read the own tenant''s profile, settings and limits'),
        ('tenant:export', 'Export all of the tenant''s data')`);

    await queryRunner.query(`
      CREATE TABLE users (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        email text CHECK (email = lower(email) AND length(email) BETWEEN 3 AND 254),
        name text CHECK (length(name) <= 200),
        password_hash text,
        status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
        platform_admin boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        erased_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, email),
        -- an erased user keeps only its id: no email, name or password
        CHECK ((status = 'deleted') = (email IS NULL)),
        CHECK (status <> 'deleted' OR (name IS NULL AND password_hash IS NULL AND erased_at IS NOT NULL))
      )`);

    await queryRunner.query(`
      CREATE TABLE roles (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        description text CHECK (length(description) <= 500),
        system boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, name)
      )`);

    // permission references the global catalog: in Citus terms a reference table, which a distributed table
    // may point at without the distribution column.
    await queryRunner.query(`
      CREATE TABLE role_permissions (
        tenant_id uuid NOT NULL,
        role_id uuid NOT NULL,
        permission text NOT NULL REFERENCES permissions (code),
        PRIMARY KEY (tenant_id, role_id, permission),
        FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id) ON DELETE CASCADE
      )`);

    // A role still held by a user or an API key cannot be deleted (NO ACTION -> 409).
    await queryRunner.query(`
      CREATE TABLE user_roles (
        tenant_id uuid NOT NULL,
        user_id uuid NOT NULL,
        role_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, user_id, role_id),
        FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
      )`);
    await queryRunner.query(`CREATE INDEX user_roles_role ON user_roles (tenant_id, role_id)`);

    await queryRunner.query(`
      CREATE TABLE api_keys (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        role_id uuid NOT NULL,
        prefix text NOT NULL,
        key_hash bytea NOT NULL,
        created_by uuid,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, key_hash),
        FOREIGN KEY (tenant_id, role_id) REFERENCES roles (tenant_id, id)
      )`);

    await queryRunner.query(`
      CREATE TABLE rbac_audit_log (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        user_id uuid,
        api_key_id uuid,
        method text NOT NULL,
        route text NOT NULL,
        permission text NOT NULL,
        ip text,
        request_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await queryRunner.query(`CREATE INDEX rbac_audit_log_created ON rbac_audit_log (tenant_id, created_at)`);

    for (const table of ['users', 'roles', 'role_permissions', 'user_roles', 'api_keys', 'rbac_audit_log']) {
      await queryRunner.query(`SELECT enable_tenant_isolation($1::regclass)`, [table]);
    }

    await queryRunner.query(`
      CREATE FUNCTION enforce_tenant_limit() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        limit_key text := TG_ARGV[0];
        counted_when text := TG_ARGV[1];
        allowed bigint;
        used bigint;
      BEGIN
        -- The tenant row lock serialises concurrent creations in one tenant, so the count below is exact.
        SELECT (settings -> 'limits' ->> limit_key)::bigint INTO allowed
          FROM tenants WHERE id = NEW.tenant_id FOR NO KEY UPDATE;
        IF allowed IS NULL THEN
          RETURN NEW;
        END IF;
        EXECUTE format('SELECT count(*) FROM %I.%I WHERE tenant_id = $1 AND (%s)',
                       TG_TABLE_SCHEMA, TG_TABLE_NAME, counted_when)
          INTO used USING NEW.tenant_id;
        IF used >= allowed THEN
          RAISE EXCEPTION 'tenant limit % of % reached', limit_key, allowed
            USING ERRCODE = 'IEL01', DETAIL = limit_key, HINT = allowed::text;
        END IF;
        RETURN NEW;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER users_limit BEFORE INSERT ON users
        FOR EACH ROW EXECUTE FUNCTION enforce_tenant_limit('maxUsers', 'status <> ''deleted''')`);

    await queryRunner.query(`
      CREATE FUNCTION auth_user(p_tenant uuid, p_user uuid)
        RETURNS TABLE (status text, platform_admin boolean, permissions text[])
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      #variable_conflict use_column
      BEGIN
        -- Meant to run as a statement of its own; inside a transaction of another tenant it would switch it.
        IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
          RAISE EXCEPTION 'a transaction of another tenant is open';
        END IF;
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        RETURN QUERY
          SELECT u.status, u.platform_admin,
                 array(SELECT DISTINCT rp.permission
                         FROM user_roles ur
                         JOIN role_permissions rp ON rp.tenant_id = ur.tenant_id AND rp.role_id = ur.role_id
                        WHERE ur.tenant_id = u.tenant_id AND ur.user_id = u.id
                        ORDER BY 1)
            FROM users u
           WHERE u.tenant_id = p_tenant AND u.id = p_user;
      END $$`);

    await queryRunner.query(`
      CREATE FUNCTION auth_api_key(p_tenant uuid, p_key_hash bytea)
        RETURNS TABLE (id uuid, revoked boolean, expired boolean, permissions text[])
        LANGUAGE plpgsql VOLATILE SECURITY INVOKER AS $$
      #variable_conflict use_column
      BEGIN
        -- Meant to run as a statement of its own; inside a transaction of another tenant it would switch it.
        IF coalesce(current_setting('app.tenant_id', true), '') NOT IN ('', p_tenant::text) THEN
          RAISE EXCEPTION 'a transaction of another tenant is open';
        END IF;
        PERFORM set_config('app.tenant_id', p_tenant::text, true);
        -- last_used_at is a hint for operators: written at most once a minute per key, not on every request.
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

    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON tenants TO inventory_app`);
    await queryRunner.query(`GRANT SELECT ON permissions TO inventory_app`);
    await queryRunner.query(`GRANT SELECT, INSERT, UPDATE ON users TO inventory_app`);
    await queryRunner.query(
      `GRANT SELECT, INSERT, UPDATE, DELETE ON roles, role_permissions, user_roles, api_keys TO inventory_app`,
    );
    await queryRunner.query(`GRANT SELECT, INSERT ON rbac_audit_log TO inventory_app`);
    await queryRunner.query(`
      GRANT EXECUTE ON FUNCTION auth_user(uuid, uuid), auth_api_key(uuid, bytea) TO inventory_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP FUNCTION auth_api_key(uuid, bytea)`);
    await queryRunner.query(`DROP FUNCTION auth_user(uuid, uuid)`);
    await queryRunner.query(
      `DROP TABLE rbac_audit_log, api_keys, user_roles, role_permissions, roles, users, permissions, tenants`,
    );
    await queryRunner.query(`DROP FUNCTION enforce_tenant_limit()`);
    await queryRunner.query(`DROP FUNCTION enable_tenant_isolation(regclass)`);
  }
}
