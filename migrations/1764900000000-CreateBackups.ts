import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The backup catalogue (global: a backup is of the whole database). One row per `pg_dump -Fc` run, with what
 * verification needs to prove the file later: size and sha256 of the file, and the per-table row counts and
 * ledger checksum read in the same snapshot as the dump. Written and read by the maintenance (owner)
 * connection only; the app role gets no grant.
 */
export class CreateBackups1764900000000 implements MigrationInterface {
  name = 'CreateBackups1764900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE backups (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        trigger text NOT NULL CHECK (trigger IN ('cron', 'api', 'cli')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        file_name text,
        size_bytes bigint CHECK (size_bytes >= 0),
        sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        table_counts jsonb,
        ledger_checksum text,
        pg_dump_version text,
        server_version text,
        error text,
        verified_at timestamptz,
        verify_status text CHECK (verify_status IN ('passed', 'failed')),
        verify_details jsonb,
        CHECK (status <> 'succeeded' OR (file_name IS NOT NULL AND size_bytes IS NOT NULL AND sha256 IS NOT NULL))
      )`);
    await queryRunner.query(`CREATE INDEX backups_started ON backups (started_at DESC, id DESC)`);
    // A belt to the advisory lock the backup job takes: at most one backup is running at any time.
    await queryRunner.query(
      `CREATE UNIQUE INDEX backups_one_running ON backups ((true)) WHERE status = 'running'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE backups`);
  }
}
