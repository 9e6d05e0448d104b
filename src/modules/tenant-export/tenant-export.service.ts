import { Injectable, Logger } from '@nestjs/common';
import { EXPORT_SOURCES, TenantExportRepository } from './tenant-export.repository.js';

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
  constructor(private readonly repository: TenantExportRepository) {}

  /** `onProgress` hears each kind once it is written (the CLI prints it on stderr). */
  async *lines(tenantId: string, onProgress?: (kind: string, rows: number) => void): AsyncGenerator<string> {
    const connection = await this.repository.connect();
    const started = Date.now();
    let committed = false;
    try {
      await this.repository.beginSnapshot(connection, tenantId);
      const counts: Record<string, number> = {};
      let rows = 0;
      const tenant = await this.repository.tenantLine(connection);
      if (tenant === undefined) throw new Error('tenant not found');
      let chunk = `${tenant}\n`;
      rows += 1;
      counts.tenant = 1;
      for (const source of EXPORT_SOURCES) {
        counts[source.kind] = 0;
        for await (const row of this.repository.rows(connection, source)) {
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
      await this.repository.commit(connection);
      committed = true;
      this.logger.log(`tenant ${tenantId}: exported ${rows} rows in ${Date.now() - started} ms`);
    } finally {
      // Also when the consumer went away mid-stream (generator closed): end the snapshot, free the connection.
      if (!committed) await this.repository.rollback(connection).catch(() => undefined);
      await this.repository.release(connection);
    }
  }
}
