import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The request path's role. NOSUPERUSER NOBYPASSRLS so row-level security binds it; no DDL (schema public
 * gives it USAGE only). Later migrations grant it exactly the DML each table needs. Roles are cluster-wide:
 * another database on the same server may have created it already, and its password is set by the service
 * (DATABASE_APP_PASSWORD or a generated one), never stored in a migration.
 */
export class CreateAppRole1764100000000 implements MigrationInterface {
  name = 'CreateAppRole1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'inventory_app') THEN
          CREATE ROLE inventory_app LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE NOINHERIT;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- created concurrently by a migration in another database of this server
      END $$`);
    await queryRunner.query(`REVOKE CREATE ON SCHEMA public FROM PUBLIC`);
    await queryRunner.query(`GRANT USAGE ON SCHEMA public TO inventory_app`);
    await queryRunner.query(`
      DO $$ BEGIN EXECUTE format('GRANT CONNECT ON DATABASE %I TO inventory_app', current_database()); END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    // The role itself is shared by every database on the server, so it stays; this database stops granting it.
    await queryRunner.query(`
      DO $$ BEGIN EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM inventory_app', current_database()); END $$`);
    await queryRunner.query(`REVOKE USAGE ON SCHEMA public FROM inventory_app`);
  }
}
