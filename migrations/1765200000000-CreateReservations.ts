import type { MigrationInterface, QueryRunner } from 'typeorm';
import { frozenSql } from './frozen-sql.js';

const FOLDER = '1765200000000-CreateReservations';

/** In dependency order: a SQL-language function is checked against what it uses when it is created. */
const FUNCTIONS = [
  'claim_idempotency_key.sql',
  'complete_idempotency_key.sql',
  'stock_availability.sql',
  'key_reserved.sql',
  'change_stock.sql',
  'copy_reservation_expiry.sql',
  'reservation_document.sql',
  'apply_ledger_to_balances.sql',
  'reserve_stock.sql',
  'release_reservation.sql',
  'change_reservation_expiry.sql',
  'expire_reservations.sql',
  'set_reorder_point.sql',
  'movement_document.sql',
  'post_movement.sql',
];

/** Functions this migration adds, dropped again by down(). */
const NEW_FUNCTIONS = [
  'set_reorder_point(uuid, uuid, uuid, numeric, numeric)',
  'expire_reservations(uuid, integer)',
  'change_reservation_expiry(uuid, uuid, timestamptz)',
  'release_reservation(uuid, uuid, jsonb)',
  'reserve_stock(uuid, uuid, text, text, text, jsonb, jsonb)',
  'reservation_document(uuid, uuid)',
  'copy_reservation_expiry()',
  'change_stock(uuid, stock_change[], boolean)',
  'key_reserved(uuid, uuid, uuid, uuid)',
  'stock_availability(uuid)',
  'complete_idempotency_key(uuid, text, integer, jsonb)',
  'claim_idempotency_key(uuid, text, text)',
];

/**
 * Availability (docs/database.md, "Availability"): reservations and their lines, one position row per
 * (item, location) holding its reserved quantity, reorder point and low-stock state, and change_stock(), the one
 * place where on hand and reserved change and the deny policy is enforced. The ledger trigger consumes the
 * reservation a movement names. Additive: a service built before it posts as before (its movements name no
 * reservation), and the positions it does not know about are created by the new trigger as stock moves.
 */
export class CreateReservations1765200000000 implements MigrationInterface {
  name = 'CreateReservations1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`
      CREATE TYPE stock_change AS (
        item_id uuid,
        location_id uuid,
        lot_id uuid,
        on_hand numeric,
        reserved numeric,
        last_ledger_id bigint
      )`);
    await q(`
      CREATE TABLE inventory_positions (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        item_id uuid NOT NULL,
        location_id uuid NOT NULL,
        reserved numeric(20, 6) NOT NULL DEFAULT 0 CHECK (reserved >= 0),
        reorder_point numeric(20, 6) CHECK (reorder_point >= 0),
        reorder_qty numeric(20, 6) CHECK (reorder_qty >= 0),
        low_stock boolean NOT NULL DEFAULT false,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, item_id, location_id),
        UNIQUE (tenant_id, id),
        FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
        FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
      )`);
    await q(`CREATE INDEX inventory_positions_location ON inventory_positions (tenant_id, location_id)`);
    await q(`
      CREATE INDEX inventory_positions_reorder ON inventory_positions (tenant_id, item_id, location_id)
        WHERE reorder_point IS NOT NULL`);
    await q(`
      CREATE TABLE reservations (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        reference text NOT NULL CHECK (length(reference) BETWEEN 1 AND 200),
        status text NOT NULL CHECK (status IN ('active', 'released', 'consumed', 'expired')),
        expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid,
        created_by_kind text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q(`CREATE INDEX reservations_created ON reservations (tenant_id, created_at, id)`);
    await q(`CREATE INDEX reservations_reference ON reservations (tenant_id, reference)`);
    await q(`
      CREATE INDEX reservations_expiry ON reservations (tenant_id, expires_at)
        WHERE status = 'active' AND expires_at IS NOT NULL`);
    await q(`
      CREATE TABLE reservation_lines (
        tenant_id uuid NOT NULL,
        reservation_id uuid NOT NULL,
        line_no integer NOT NULL,
        item_id uuid NOT NULL,
        location_id uuid NOT NULL,
        lot_id uuid,
        qty numeric(20, 6) NOT NULL CHECK (qty > 0),
        requested_qty numeric(20, 6) NOT NULL,
        uom text NOT NULL,
        consumed_qty numeric(20, 6) NOT NULL DEFAULT 0 CHECK (consumed_qty >= 0),
        released_qty numeric(20, 6) NOT NULL DEFAULT 0 CHECK (released_qty >= 0),
        expired_qty numeric(20, 6) NOT NULL DEFAULT 0 CHECK (expired_qty >= 0),
        open_qty numeric(20, 6) GENERATED ALWAYS AS (qty - consumed_qty - released_qty - expired_qty) STORED,
        expires_at timestamptz,
        PRIMARY KEY (tenant_id, reservation_id, line_no),
        CHECK (consumed_qty + released_qty + expired_qty <= qty),
        FOREIGN KEY (tenant_id, reservation_id) REFERENCES reservations (tenant_id, id),
        FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
        FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
        FOREIGN KEY (tenant_id, lot_id) REFERENCES lots (tenant_id, id)
      )`);
    // The open lines of a position, with their expiry: reserved less what has expired (stock_availability),
    // a lot's reservations (key_reserved).
    await q(`
      CREATE INDEX reservation_lines_open ON reservation_lines (tenant_id, item_id, location_id, expires_at)
        INCLUDE (lot_id, open_qty) WHERE open_qty > 0`);
    await q(`CREATE INDEX reservation_lines_key ON reservation_lines (tenant_id, item_id, location_id)`);
    await q(`ALTER TABLE inventory_movements ADD COLUMN reservation_id uuid`);
    await q(`
      ALTER TABLE inventory_movements ADD FOREIGN KEY (tenant_id, reservation_id)
        REFERENCES reservations (tenant_id, id)`);
    await q(`
      CREATE INDEX inventory_movements_reservation ON inventory_movements (tenant_id, reservation_id)
        WHERE reservation_id IS NOT NULL`);
    for (const table of ['inventory_positions', 'reservations', 'reservation_lines']) {
      await queryRunner.query(`SELECT enable_tenant_isolation($1::regclass)`, [table]);
    }
    await q(`GRANT SELECT ON inventory_positions, reservations, reservation_lines TO inventory_app`);

    // A position for every (item, location) with a balance, tenant by tenant so that it works whether or not
    // the owner bypasses row-level security.
    await q(`
      DO $$
      DECLARE tenant uuid;
      BEGIN
        FOR tenant IN SELECT id FROM tenants LOOP
          PERFORM set_config('app.tenant_id', tenant::text, true);
          INSERT INTO inventory_positions (tenant_id, item_id, location_id)
          SELECT DISTINCT tenant_id, item_id, location_id FROM inventory_balances WHERE tenant_id = tenant;
        END LOOP;
        PERFORM set_config('app.tenant_id', '', true);
      END $$`);

    for (const file of FUNCTIONS) await q(frozenSql(FOLDER, file));
    await q(frozenSql(FOLDER, 'reservations.triggers.sql'));
    await q(frozenSql(FOLDER, 'inventory_positions.triggers.sql'));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(frozenSql(FOLDER, 'down.sql'));
    await q(`ALTER TABLE inventory_movements DROP COLUMN reservation_id`);
    await q(`DROP TABLE reservation_lines, reservations, inventory_positions`);
    for (const signature of NEW_FUNCTIONS) await q(`DROP FUNCTION ${signature}`);
    await q(`DROP TYPE stock_change`);
  }
}
