import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per balance reconciliation or backfill run (global: a run may cover every tenant). Written by the
 * maintenance connection only; the app role has no access.
 */
export class CreateReconciliationRuns1764400000000 implements MigrationInterface {
  name = 'CreateReconciliationRuns1764400000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE reconciliation_runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        kind text NOT NULL CHECK (kind IN ('reconcile', 'backfill')),
        scope_tenant uuid REFERENCES tenants (id),
        trigger text NOT NULL CHECK (trigger IN ('cron', 'cli', 'test')),
        status text NOT NULL CHECK (status IN ('running', 'succeeded', 'failed')),
        started_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        duration_ms integer,
        tenants_checked integer NOT NULL DEFAULT 0,
        keys_checked bigint NOT NULL DEFAULT 0,
        drift_keys integer NOT NULL DEFAULT 0,
        corrected_keys integer NOT NULL DEFAULT 0,
        alerted_keys integer NOT NULL DEFAULT 0,
        orphaned_keys integer NOT NULL DEFAULT 0,
        missing_keys integer NOT NULL DEFAULT 0,
        details jsonb NOT NULL DEFAULT '[]',
        error text
      )`);
    await queryRunner.query(
      `CREATE INDEX reconciliation_runs_started ON reconciliation_runs (started_at DESC)`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE reconciliation_runs`);
  }
}
