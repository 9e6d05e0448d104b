import type { MigrationInterface, QueryRunner } from 'typeorm';
import { frozenSql } from './frozen-sql.js';

const FOLDER = '1765100000000-ConsolidateSqlFunctions';

/** In dependency order: a SQL-language function is checked against what it uses when it is created. */
const FUNCTIONS = [
  'enter_tenant.sql',
  'enable_tenant_isolation.sql',
  'enforce_tenant_limit.sql',
  'auth_user.sql',
  'auth_api_key.sql',
  'notify_access_changed.sql',
  'refuse_ledger_change.sql',
  'refuse_audit_change.sql',
  'audit_row_change.sql',
  'apply_ledger_to_balances.sql',
  'fan_out_webhook_deliveries.sql',
  'stock_lines.sql',
  'ledger_document.sql',
  'movement_document.sql',
  'post_movement.sql',
];

/**
 * Every function from its own file (db/functions, frozen in migrations/sql/<this migration>), and:
 * - enter_tenant(tenant, audit): the one way into a tenant, used by every function that takes a tenant;
 * - stock_lines(tenant, lines): the line rules a movement and a count share;
 * - one post_movement signature (the six- and seven-argument ones are dropped): who acts and whether the
 *   movement is a count's adjustment are arguments, so no caller sets app.* settings around it
 *   (app.posting_count is gone; the trigger reads app.negative_stock_exempt, which only post_movement sets).
 * Not additive: a service built before this migration calls the dropped signatures, so replicas of the old
 * version must be stopped before it runs (docs/database.md, "Changing a function").
 */
export class ConsolidateSqlFunctions1765100000000 implements MigrationInterface {
  name = 'ConsolidateSqlFunctions1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const file of FUNCTIONS) await queryRunner.query(frozenSql(FOLDER, file));
    await queryRunner.query(`DROP FUNCTION post_movement(uuid, uuid, text, text, text, jsonb, jsonb)`);
    await queryRunner.query(`DROP FUNCTION post_movement(uuid, uuid, text, text, text, jsonb)`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(frozenSql(FOLDER, 'down.sql'));
    await queryRunner.query(
      `DROP FUNCTION post_movement(uuid, uuid, text, text, text, jsonb, jsonb, boolean)`,
    );
    await queryRunner.query(`DROP FUNCTION stock_lines(uuid, jsonb)`);
    await queryRunner.query(`DROP FUNCTION enter_tenant(uuid, jsonb)`);
  }
}
