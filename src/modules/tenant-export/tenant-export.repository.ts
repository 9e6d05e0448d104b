import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { enterTenant } from '../../platform/database/session-settings.js';

export interface ExportSource {
  kind: string;
  table: string;
  hidden?: string[];
  order: string;
}

/**
 * What the export contains, in this order: one NDJSON line per row, `{ "kind": ..., ...columns }` with the row's
 * columns as stored (snake_case), without tenant_id, and never a secret (password hashes, API key hashes,
 * webhook secrets). Literal SQL only: nothing here comes from a request.
 */
export const EXPORT_SOURCES: readonly ExportSource[] = [
  { kind: 'item', table: 'items', order: 'created_at, id' },
  { kind: 'item_uom', table: 'item_uoms', order: 'item_id, code' },
  { kind: 'location', table: 'locations', order: 'created_at, id' },
  { kind: 'lot', table: 'lots', order: 'created_at, id' },
  { kind: 'user', table: 'users', hidden: ['password_hash'], order: 'created_at, id' },
  { kind: 'role', table: 'roles', order: 'created_at, id' },
  { kind: 'role_permission', table: 'role_permissions', order: 'role_id, permission' },
  { kind: 'user_role', table: 'user_roles', order: 'user_id, role_id' },
  { kind: 'api_key', table: 'api_keys', hidden: ['key_hash'], order: 'created_at, id' },
  {
    kind: 'webhook_endpoint',
    table: 'webhook_endpoints',
    hidden: ['secret_encrypted', 'previous_secret_encrypted'],
    order: 'created_at, id',
  },
  { kind: 'movement', table: 'inventory_movements', order: 'created_at, id' },
  { kind: 'ledger', table: 'inventory_ledger', order: 'id' },
  { kind: 'balance', table: 'inventory_balances', order: 'id' },
  { kind: 'position', table: 'inventory_positions', order: 'item_id, location_id' },
  { kind: 'reservation', table: 'reservations', order: 'created_at, id' },
  { kind: 'reservation_line', table: 'reservation_lines', order: 'reservation_id, line_no' },
  { kind: 'count_sheet', table: 'count_sheets', order: 'created_at, id' },
  { kind: 'count_line', table: 'count_lines', order: 'id' },
  { kind: 'audit_log', table: 'audit_logs', order: 'created_at, id' },
  { kind: 'permission_denial', table: 'rbac_audit_log', order: 'created_at, id' },
];

/** A dedicated app-role connection: a snapshot and its cursors live on one connection. */
export interface ExportConnection {
  client: PoolClient;
  runner: QueryRunner;
}

/**
 * The export source: the snapshot's statements and its server-side cursors (pg-query-stream), all on the one
 * connection the caller holds. One class rather than a statement per table: every source is the same cursor.
 */
@Injectable()
export class TenantExportRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Row-level security applies: the app role, not the owner. The caller releases it (`release`). */
  async connect(): Promise<ExportConnection> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    return { client, runner };
  }

  async release(connection: ExportConnection): Promise<void> {
    await connection.runner.release();
  }

  /** REPEATABLE READ, READ ONLY: one consistent snapshot across every table, in the tenant. */
  async beginSnapshot(connection: ExportConnection, tenantId: string): Promise<void> {
    await connection.client.query('begin isolation level repeatable read read only');
    await enterTenant(connection.client, tenantId);
  }

  async commit(connection: ExportConnection): Promise<void> {
    await connection.client.query('commit');
  }

  async rollback(connection: ExportConnection): Promise<void> {
    await connection.client.query('rollback');
  }

  /** The first line: the tenant row itself, with the snapshot's time; undefined when there is no tenant. */
  async tenantLine(connection: ExportConnection): Promise<string | undefined> {
    const { rows } = await connection.client.query<{ line: string }>(
      `select (jsonb_build_object('kind', 'tenant', 'exportedAt', now()) || to_jsonb(t))::text as line
         from tenants t where id = current_setting('app.tenant_id')::uuid`,
    );
    return rows[0]?.line;
  }

  /**
   * The source's rows, each `line` one NDJSON line without the newline, through a server-side cursor in
   * batches of 1000. The stream itself, not a wrapper: the consumer's backpressure pauses the cursor, and
   * leaving the loop early closes it.
   */
  rows(connection: ExportConnection, source: ExportSource): AsyncIterable<{ line: string }> {
    const hidden = ['tenant_id', ...(source.hidden ?? [])];
    const query = new QueryStream(
      `select (jsonb_build_object('kind', $1::text) || (to_jsonb(x) - $2::text[]))::text as line
         from ${source.table} x
        where tenant_id = current_setting('app.tenant_id')::uuid
        order by ${source.order}`,
      [source.kind, hidden],
      { batchSize: 1000 },
    );
    return connection.client.query(query) as AsyncIterable<{ line: string }>;
  }
}
