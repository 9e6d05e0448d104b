import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { enterTenant } from '../../platform/database/session-settings.js';
import type { DataSource } from 'typeorm';

/**
 * What the export contains, in this order: one NDJSON line per row, `{ "kind": ..., ...columns }` with the row's
 * columns as stored (snake_case), without tenant_id, and never a secret (password hashes, API key hashes,
 * webhook secrets). Literal SQL only: nothing here comes from a request.
 */
const SOURCES: ReadonlyArray<{ kind: string; table: string; hidden?: string[]; order: string }> = [
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
  { kind: 'count_sheet', table: 'count_sheets', order: 'created_at, id' },
  { kind: 'count_line', table: 'count_lines', order: 'id' },
  { kind: 'audit_log', table: 'audit_logs', order: 'created_at, id' },
  { kind: 'permission_denial', table: 'rbac_audit_log', order: 'created_at, id' },
];

/** Lines are written in chunks of about this size: one write per row would mean one HTTP chunk per row. */
const CHUNK_BYTES = 64 * 1024;

/**
 * Streams a tenant's complete data as NDJSON with constant memory: one REPEATABLE READ, READ ONLY transaction
 * (a consistent snapshot across every table) on a dedicated app-role connection under row-level security,
 * read through server-side cursors (pg-query-stream) in batches. The consumer's backpressure pauses the cursor.
 * The last line is `{ "kind": "export.end", "rows": N, "counts": {...} }`: a file without it is incomplete.
 */
@Injectable()
export class TenantExportService {
  private readonly logger = new Logger('TenantExport');

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** `onProgress` hears each kind once it is written (the CLI prints it on stderr). */
  async *lines(tenantId: string, onProgress?: (kind: string, rows: number) => void): AsyncGenerator<string> {
    const runner = this.dataSource.createQueryRunner();
    const client = (await runner.connect()) as PoolClient;
    const started = Date.now();
    let committed = false;
    try {
      await client.query('begin isolation level repeatable read read only');
      await enterTenant(client, tenantId);
      const counts: Record<string, number> = {};
      let rows = 0;
      let chunk = await this.firstLine(client);
      rows += 1;
      counts.tenant = 1;
      for (const source of SOURCES) {
        counts[source.kind] = 0;
        const hidden = ['tenant_id', ...(source.hidden ?? [])];
        const query = new QueryStream(
          `select (jsonb_build_object('kind', $1::text) || (to_jsonb(x) - $2::text[]))::text as line
             from ${source.table} x
            where tenant_id = current_setting('app.tenant_id')::uuid
            order by ${source.order}`,
          [source.kind, hidden],
          { batchSize: 1000 },
        );
        for await (const row of client.query(query) as AsyncIterable<{ line: string }>) {
          chunk += `${row.line}\n`;
          counts[source.kind] += 1;
          rows += 1;
          if (chunk.length >= CHUNK_BYTES) {
            yield chunk;
            chunk = '';
          }
        }
        onProgress?.(source.kind, counts[source.kind]);
      }
      yield `${chunk}${JSON.stringify({ kind: 'export.end', rows, counts })}\n`;
      await client.query('commit');
      committed = true;
      this.logger.log(`tenant ${tenantId}: exported ${rows} rows in ${Date.now() - started} ms`);
    } finally {
      // Also when the consumer went away mid-stream (generator closed): end the snapshot, free the connection.
      if (!committed) await client.query('rollback').catch(() => undefined);
      await runner.release();
    }
  }

  private async firstLine(client: PoolClient): Promise<string> {
    const { rows } = await client.query<{ line: string }>(
      `select (jsonb_build_object('kind', 'tenant', 'exportedAt', now()) || to_jsonb(t))::text as line
         from tenants t where id = current_setting('app.tenant_id')::uuid`,
    );
    if (rows.length === 0) throw new Error('tenant not found');
    return `${rows[0].line}\n`;
  }
}
