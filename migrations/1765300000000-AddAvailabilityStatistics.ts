import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * For the gauges reservations_open and inventory_low_stock_keys: the owner (maintenance connection, never the
 * app role) may count reservations and low positions across tenants when it says so with the transaction-local
 * app.maintenance_statistics, as for the webhook queue gauges (AddWebhookQueueStatistics). Row-level security
 * is forced on the owner too, and one statement over every tenant is cheaper than a transaction per tenant at
 * each refresh. Also: the partial index that statement and the expiry job read.
 */
export class AddAvailabilityStatistics1765300000000 implements MigrationInterface {
  name = 'AddAvailabilityStatistics1765300000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['reservations', 'inventory_positions']) {
      await queryRunner.query(`
        CREATE POLICY maintenance_statistics ON ${table} FOR SELECT TO CURRENT_USER
          USING (current_setting('app.maintenance_statistics', true) = 'on')`);
    }
    await queryRunner.query(
      `CREATE INDEX inventory_positions_low ON inventory_positions (tenant_id) WHERE low_stock`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX inventory_positions_low`);
    for (const table of ['reservations', 'inventory_positions']) {
      await queryRunner.query(`DROP POLICY maintenance_statistics ON ${table}`);
    }
  }
}
