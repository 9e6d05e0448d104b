import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For the gauges webhook_queue_depth and webhook_dlq_size: the owner (maintenance connection, never the app
 * role) may count deliveries across tenants when it says so with a transaction-local setting. Row-level
 * security is forced on the owner too, and one statement over every tenant is cheaper than a transaction per
 * tenant at each refresh. The owner can alter these tables anyway, so this opens nothing to the app role.
 * Also: the dispatcher's per-tenant claim gets an index that leads with the tenant.
 */
export class AddWebhookQueueStatistics1765000000000 implements MigrationInterface {
  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE POLICY maintenance_statistics ON webhook_deliveries FOR SELECT TO CURRENT_USER
        USING (current_setting('app.maintenance_statistics', true) = 'on')`);
    await queryRunner.query(`
      CREATE INDEX webhook_deliveries_tenant_due ON webhook_deliveries (tenant_id, next_attempt_at)
        WHERE status = 'pending'`);
    await queryRunner.query(
      `CREATE INDEX webhook_deliveries_dlq ON webhook_deliveries (tenant_id) WHERE status = 'dlq'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX webhook_deliveries_dlq`);
    await queryRunner.query(`DROP INDEX webhook_deliveries_tenant_due`);
    await queryRunner.query(`DROP POLICY maintenance_statistics ON webhook_deliveries`);
  }
}
