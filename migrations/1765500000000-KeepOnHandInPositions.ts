import type { MigrationInterface, QueryRunner } from 'typeorm';
import { frozenSql } from './frozen-sql.js';

const FOLDER = '1765500000000-KeepOnHandInPositions';
const BEFORE = '1765200000000-CreateReservations';

/**
 * inventory_positions.on_hand: the sum of the position's balances, kept by change_stock() in the statement that
 * locks the position, so that availability (stock_availability(), and the deny policy's check per position)
 * reads one row per position instead of summing its balances; lookup_availability(), the checkout lookup
 * planned once per connection. ADD COLUMN holds the positions exclusively until commit, and every posting
 * passes through its position before its balances, so no stock moves between the backfill and the new
 * change_stock(). Additive: no signature changes, and a service built before it posts through the new
 * functions.
 */
export class KeepOnHandInPositions1765500000000 implements MigrationInterface {
  name = 'KeepOnHandInPositions1765500000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`ALTER TABLE inventory_positions ADD COLUMN on_hand numeric NOT NULL DEFAULT 0`);
    // Tenant by tenant, so that it works whether or not the owner bypasses row-level security.
    await q(`
      DO $$
      DECLARE tenant uuid;
      BEGIN
        FOR tenant IN SELECT id FROM tenants LOOP
          PERFORM set_config('app.tenant_id', tenant::text, true);
          INSERT INTO inventory_positions (tenant_id, item_id, location_id)
          SELECT DISTINCT tenant_id, item_id, location_id FROM inventory_balances WHERE tenant_id = tenant
          ON CONFLICT DO NOTHING;
          UPDATE inventory_positions p SET on_hand = s.qty
            FROM (SELECT item_id, location_id, sum(qty) AS qty FROM inventory_balances
                   WHERE tenant_id = tenant GROUP BY item_id, location_id) s
           WHERE p.tenant_id = tenant AND p.item_id = s.item_id AND p.location_id = s.location_id;
        END LOOP;
        PERFORM set_config('app.tenant_id', '', true);
      END $$`);
    await q(frozenSql(FOLDER, 'stock_availability.sql'));
    await q(frozenSql(FOLDER, 'change_stock.sql'));
    await q(frozenSql(FOLDER, 'lookup_availability.sql'));
    await q(`DROP TRIGGER inventory_positions_audit ON inventory_positions`);
    await q(frozenSql(FOLDER, 'inventory_positions.triggers.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP TRIGGER inventory_positions_audit ON inventory_positions`);
    await q(frozenSql(BEFORE, 'inventory_positions.triggers.sql'));
    await q(`DROP FUNCTION lookup_availability(uuid, uuid[], uuid[])`);
    await q(frozenSql(BEFORE, 'change_stock.sql'));
    await q(frozenSql(BEFORE, 'stock_availability.sql'));
    await q(`ALTER TABLE inventory_positions DROP COLUMN on_hand`);
  }
}
