import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { cli } from '../support/cli.js';
import { createItem, createLocation, inProcessApi } from '../kit/api.js';
import { startService, type ServiceProcess } from '../kit/test-database-service.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, type TestTenant } from '../support/tenant-factory.js';

const LEDGER_ROWS = 100_000;

interface Line {
  kind: string;
  [column: string]: unknown;
}

describe('tenant export: NDJSON, one snapshot, constant memory, nothing of another tenant', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let bItem: string;

  beforeAll(async () => {
    t = await createTestApp({ env: { THROTTLE_LIMIT: '100000' } });
    a = await createTenant(t, 'export-a');
    b = await createTenant(t, 'export-b');
    const api = inProcessApi(t);
    const items: string[] = [];
    const locations: string[] = [];
    for (let index = 0; index < 10; index += 1) {
      items.push(await createItem(api, a.admin.token, { sku: `EXP-${index}`, name: `Item EXP-${index}` }));
      locations.push(await createLocation(api, a.admin.token, { site: 'Export', name: `bin-${index}` }));
    }
    // 1,000 receipts of 100 lines each, written set-based as the owner (the balance trigger still runs).
    await t.database.query(
      `with movements as (
         insert into inventory_movements (tenant_id, id, type, occurred_at, created_by_kind, line_count)
         select $1, gen_random_uuid(), 'receipt', now(), 'system', 100 from generate_series(1, $4::int / 100)
         returning id)
       insert into inventory_ledger (tenant_id, movement_id, line_no, item_id, location_id, qty_base, qty, uom, type,
                                     occurred_at)
       select $1, m.id, line, ($2::uuid[])[1 + line % 10], ($3::uuid[])[1 + (line / 10) % 10], 1, 1, 'ea', 'receipt', now()
         from movements m, generate_series(1, 100) line`,
      [a.id, items, locations, LEDGER_ROWS],
    );
    await t.database.query('analyze');
    bItem = await createItem(api, b.admin.token, { sku: 'B-ONLY-SKU', name: 'Item B-ONLY-SKU' });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('streams every kind with no secrets and ends with a trailer whose counts match', async () => {
    const response = await t
      .http()
      .get('/api/tenant/export')
      .set('Authorization', `Bearer ${b.admin.token}`)
      .buffer(true)
      .parse((res, done) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => done(null, text));
      });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain('application/x-ndjson');
    const lines = (response.body as string)
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    expect(lines[0]).toMatchObject({ kind: 'tenant', id: b.id, slug: b.slug });
    const trailer = lines.at(-1)!;
    expect(trailer.kind).toBe('export.end');
    expect(trailer.rows).toBe(lines.length - 1);
    const counted: Record<string, number> = {};
    for (const line of lines.slice(0, -1)) counted[line.kind] = (counted[line.kind] ?? 0) + 1;
    expect(trailer.counts).toEqual(expect.objectContaining(counted));
    expect(lines.find((line) => line.kind === 'item')).toMatchObject({ id: bItem, sku: 'B-ONLY-SKU' });
    const user = lines.find((line) => line.kind === 'user')!;
    expect(user).toMatchObject({ id: b.admin.id, email: b.admin.email });
    expect(user).not.toHaveProperty('password_hash');
    expect(lines.some((line) => 'tenant_id' in line && line.kind !== 'tenant')).toBe(false);
    const text = response.body as string;
    expect(text).not.toContain('$argon2');
    expect(text).not.toContain(a.id);
    expect(counted.role).toBe(5);
    expect(counted.audit_log).toBeGreaterThan(0);
  });

  it('streams 100,000 ledger rows from the built service with bounded memory and none of B’s rows', async () => {
    const service: ServiceProcess = await startService(t.database);
    try {
      const headers = { Authorization: `Bearer ${a.admin.token}` };
      // Warm-up (code paths, pools, JIT) before the baseline.
      expect(
        (
          await fetch(`${service.url}/api/tenant/export`, {
            headers: { Authorization: `Bearer ${b.admin.token}` },
          })
        ).status,
      ).toBe(200);
      const baseline = service.rss();
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, service.rss())), 20);
      const counts: Record<string, number> = {};
      let bytes = 0;
      let rest = '';
      let trailer: Line | undefined;
      let foreign = 0;
      try {
        const response = await fetch(`${service.url}/api/tenant/export`, { headers });
        expect(response.status).toBe(200);
        const decoder = new TextDecoder();
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          bytes += chunk.length;
          const text = rest + decoder.decode(chunk, { stream: true });
          const lines = text.split('\n');
          rest = lines.pop()!;
          for (const raw of lines) {
            if (raw.includes(b.id) || raw.includes(bItem) || raw.includes('B-ONLY-SKU')) foreign += 1;
            const line = JSON.parse(raw) as Line;
            if (line.kind === 'export.end') trailer = line;
            else counts[line.kind] = (counts[line.kind] ?? 0) + 1;
          }
        }
      } finally {
        clearInterval(sampler);
      }
      expect(rest).toBe('');
      expect(foreign).toBe(0);
      expect(counts.ledger).toBe(LEDGER_ROWS);
      expect(counts.movement).toBe(LEDGER_ROWS / 100);
      expect(counts.balance).toBe(100);
      expect(trailer).toMatchObject({
        kind: 'export.end',
        counts: expect.objectContaining({ ledger: LEDGER_ROWS }),
      });
      const growth = peak - baseline;
      process.stdout.write(
        `export of ${LEDGER_ROWS} ledger rows: ${(bytes / 2 ** 20).toFixed(1)} MiB streamed, ` +
          `service RSS ${(baseline / 2 ** 20).toFixed(0)} -> peak ${(peak / 2 ** 20).toFixed(0)} MiB (+${(growth / 2 ** 20).toFixed(1)} MiB)\n`,
      );
      // Constant memory: the service holds a batch and a chunk, not the export. Buffering it would need more
      // than the export's size; allow well under half of it.
      expect(bytes).toBeGreaterThan(30 * 2 ** 20);
      expect(growth).toBeLessThan(bytes / 3);
    } finally {
      await service.stop();
    }
  });

  it('tenant:export writes the same NDJSON to stdout, progress to stderr', async () => {
    const { code, stdout, stderr } = await cli(t, 'tenant:export', b.slug);
    expect(code).toBe(0);
    const lines = stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Line);
    expect(lines[0]).toMatchObject({ kind: 'tenant', id: b.id });
    expect(lines.at(-1)).toMatchObject({ kind: 'export.end', rows: lines.length - 1 });
    expect(stderr).toMatch(/item: 1/);

    const unknown = await cli(t, 'tenant:export', 'no-such-tenant');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No tenant no-such-tenant');
  });
});
