import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Physical counts. A sheet's lines are keyed by (item, location, lot code); "no lot" is NULL in a UNIQUE NULLS
 * NOT DISTINCT key. Each line keeps the expected quantity of the snapshot taken at start and, once counted, the
 * system quantity read in the same transaction as the count: variance = counted - system quantity at entry, so
 * movements before the entry are in it and movements after it stay on top of the approved adjustment.
 * Count numbers come from a per-tenant counter row (gap-free: the increment commits or rolls back with the sheet).
 */
export class CreateCounts1764600000000 implements MigrationInterface {
  name = 'CreateCounts1764600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`
      CREATE TABLE tenant_counters (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        name text NOT NULL,
        value bigint NOT NULL,
        PRIMARY KEY (tenant_id, name)
      )`);
    await q(`
      CREATE TABLE count_sheets (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        count_number text NOT NULL,
        name text CHECK (length(name) <= 200),
        location_ids uuid[] NOT NULL DEFAULT '{}',
        item_ids uuid[] NOT NULL DEFAULT '{}',
        blind boolean NOT NULL DEFAULT false,
        status text NOT NULL CHECK (status IN ('draft', 'in_progress', 'submitted', 'posted', 'cancelled')),
        created_at timestamptz NOT NULL DEFAULT now(),
        created_by uuid,
        started_at timestamptz,
        started_by uuid,
        submitted_at timestamptz,
        submitted_by uuid,
        posted_at timestamptz,
        posted_by uuid,
        cancelled_at timestamptz,
        cancelled_by uuid,
        movement_id uuid,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, count_number),
        FOREIGN KEY (tenant_id, movement_id) REFERENCES inventory_movements (tenant_id, id)
      )`);
    await q(`CREATE INDEX count_sheets_created ON count_sheets (tenant_id, created_at)`);
    await q(`
      CREATE TABLE count_lines (
        tenant_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        sheet_id uuid NOT NULL,
        item_id uuid NOT NULL,
        location_id uuid NOT NULL,
        lot_code text,
        in_snapshot boolean NOT NULL,
        expected_qty numeric(20, 6) NOT NULL DEFAULT 0,
        counted_qty numeric(20, 6) CHECK (counted_qty >= 0),
        system_qty_at_entry numeric(20, 6),
        counted_at timestamptz,
        counted_by uuid,
        PRIMARY KEY (tenant_id, id),
        CONSTRAINT count_lines_key UNIQUE NULLS NOT DISTINCT (tenant_id, sheet_id, item_id, location_id, lot_code),
        FOREIGN KEY (tenant_id, sheet_id) REFERENCES count_sheets (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, item_id) REFERENCES items (tenant_id, id),
        FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
        CHECK ((counted_qty IS NULL) = (system_qty_at_entry IS NULL))
      )`);
    for (const table of ['tenant_counters', 'count_sheets', 'count_lines']) {
      await queryRunner.query(`SELECT enable_tenant_isolation($1::regclass)`, [table]);
    }
    await q(`GRANT SELECT, INSERT, UPDATE ON tenant_counters, count_sheets TO inventory_app`);
    await q(`GRANT SELECT, INSERT, UPDATE ON count_lines TO inventory_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE count_lines, count_sheets, tenant_counters`);
  }
}
