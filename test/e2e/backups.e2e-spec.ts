import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { chmod, mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cli } from '../support/cli.js';
import { databaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import { BackupJobs } from '../../src/modules/backups/backup-jobs.service.js';
import { bodyOf } from '../support/api-body.js';
import type {
  BackupPageView,
  BackupStartedView,
  BackupView,
  BalancePage,
  ItemView,
  LocationView,
} from '../support/api-types.gen.js';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { createTenant, login, platformAdminToken, type TestTenant } from '../support/tenant-factory.js';
import { testServer, withAdminClient, type TestDatabase } from '../support/test-database-server.js';

/** What verification records (the document leaves `verifyDetails` an open object). */
interface VerifyDetails {
  reasons: string[];
  scratchDatabase: string;
  scratchDropped: boolean;
  restoreMs?: number;
  durationMs: number;
  file?: { actualSizeBytes: number; expectedSizeBytes: number };
  tables?: { checked: number; mismatched: unknown[] };
  ledgerChecksum?: { expected: string; actual: string };
  reconciliation?: { keysChecked: number; driftKeys: number };
}

/** A backup as the document types it, with its verification details spelled out. */
type BackupBody = Omit<BackupView, 'verifyDetails'> & { verifyDetails: VerifyDetails | null };

/** The checksum the way the design defines it: md5 over the ordered ledger rows (recomputed here in SQL). */
async function ledgerChecksum(databaseUrl: string): Promise<string> {
  return withAdminClient(databaseUrl, async (client) => {
    // Timestamps print in the session's zone and style: pin them as the backup module does.
    await client.query(`set timezone = 'UTC'`);
    await client.query(`set datestyle = 'ISO, YMD'`);
    const { rows } = await client.query<{ checksum: string }>(
      `select md5(coalesce(string_agg(md5(l::text), '' order by l.tenant_id, l.id), '')) as checksum
         from inventory_ledger l`,
    );
    return rows[0].checksum;
  });
}

async function sha256Of(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

describe('backups: pg_dump, verification by restore, monitoring, retention, restore', () => {
  let t: TestApp;
  let directory: string;
  let tenant: TestTenant;
  let adminAuth: { Authorization: string };
  let tenantAuth: { Authorization: string };
  let itemId: string;
  let locations: string[];

  async function getBackup(id: string): Promise<BackupBody> {
    const response = await t.http().get(`/api/backups/${id}`).set(adminAuth);
    expect(response.status).toBe(200);
    return bodyOf<BackupBody>(response);
  }

  async function finished(app: TestApp, id: string): Promise<BackupBody> {
    const token = await platformAdminToken(app);
    for (let attempt = 0; attempt < 600; attempt++) {
      const response = await app.http().get(`/api/backups/${id}`).set('Authorization', `Bearer ${token}`);
      const body = bodyOf<BackupBody>(response);
      if (body.status !== 'running') return body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`backup ${id} still running after 60 s`);
  }

  /** A fresh backup made by the CLI without verification (for the tampering tests). */
  async function unverifiedBackup(): Promise<BackupBody> {
    const result = await cli(t, 'backup:create', '--skip-verify');
    expect(result.code).toBe(0);
    const id = /backup ([0-9a-f-]{36}) succeeded/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    return getBackup(id!);
  }

  /** A fresh backup made by the CLI and verified by restore: the newest verified backup. */
  async function verifiedBackup(): Promise<BackupBody> {
    const result = await cli(t, 'backup:create');
    expect(result.code).toBe(0);
    const id = /backup ([0-9a-f-]{36}) succeeded/.exec(result.stdout)?.[1];
    expect(id).toBeDefined();
    const backup = await getBackup(id!);
    expect(backup.verifyStatus).toBe('passed');
    return backup;
  }

  async function scratchDatabases(): Promise<string[]> {
    const rows = await t.database.query<{ datname: string }>(
      `select datname from pg_database where datname like 'verify\\_%'`,
    );
    return rows.map((row) => row.datname);
  }

  /** The item's on-hand quantity per location, through the API of `app`. */
  async function balancesOf(app: TestApp, auth: { Authorization: string }): Promise<Record<string, string>> {
    const response = await app.http().get(`/api/inventory/balances?itemId=${itemId}`).set(auth);
    expect(response.status).toBe(200);
    return Object.fromEntries(bodyOf<BalancePage>(response).data.map((b) => [b.locationId, b.qty]));
  }

  async function post(body: Record<string, unknown>): Promise<void> {
    const response = await t.http().post('/api/inventory/movements').set(tenantAuth).send(body);
    expect(response.status).toBe(201);
  }

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'backups-e2e-'));
    t = await createTestApp({ env: { BACKUP_DIR: directory } });
    tenant = await createTenant(t, 'backup');
    tenantAuth = { Authorization: `Bearer ${tenant.admin.token}` };
    adminAuth = { Authorization: `Bearer ${await platformAdminToken(t)}` };
    const item = await t
      .http()
      .post('/api/items')
      .set(tenantAuth)
      .send({ sku: 'B-1', name: 'Backed up', baseUom: 'ea' });
    itemId = bodyOf<ItemView>(item).id;
    locations = [];
    for (const name of ['A', 'B', 'C']) {
      const location = await t.http().post('/api/locations').set(tenantAuth).send({ site: 'S', name });
      locations.push(bodyOf<LocationView>(location).id);
    }
    await post({ type: 'receipt', lines: [{ itemId, locationId: locations[0], qty: '100.5' }] });
    await post({ type: 'receipt', lines: [{ itemId, locationId: locations[1], qty: 7 }] });
    await post({ type: 'issue', lines: [{ itemId, locationId: locations[0], qty: '0.25' }] });
    await post({
      type: 'transfer',
      lines: [{ itemId, locationId: locations[0], toLocationId: locations[2], qty: 40 }],
    });
  });
  afterAll(async () => {
    await t.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('monitor: no backup at all is an alert (exit 1); readiness stays 200 but says "degraded"', async () => {
    // A database of its own: this file's other tests leave backups in theirs.
    const empty = await mkdtemp(join(tmpdir(), 'backups-e2e-none-'));
    const fresh = await createTestApp({ env: { BACKUP_DIR: empty } });
    try {
      const result = await cli(fresh, 'monitor:backups');
      expect(result.code).toBe(1);
      expect(result.stdout).toContain('BACKUP ALERT');
      expect(result.stdout).toContain('no backup has passed verification by restore yet');
      // The alert is also an audit entry of the platform's tenant, by the monitor.
      const [entry] = await fresh.database.query<{ actor_name: string; after: { problems: string[] } }>(
        `select a.actor_name, a.after from audit_logs a join tenants t on t.id = a.tenant_id
          where t.slug = 'default' and a.action = 'backup.alert' order by a.created_at desc limit 1`,
      );
      expect(entry).toMatchObject({
        actor_name: 'backup-monitor',
        after: { problems: expect.arrayContaining(['no backup has passed verification by restore yet']) },
      });

      const ready = await fresh.http().get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('degraded');
      expect(ready.body.details.database.status).toBe('up');
      expect(ready.body.details.backup).toMatchObject({ status: 'degraded', newestVerifiedAt: null });
      expect(ready.body.details.backup.problems).toContain(
        'no backup has passed verification by restore yet',
      );
    } finally {
      await fresh.close();
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('platform routes refuse tenant users (403); bad and unknown ids are 400 and 404 problems', async () => {
    const id = randomUUID();
    for (const [method, path] of [
      ['post', '/api/backups'],
      ['get', '/api/backups'],
      ['get', `/api/backups/${id}`],
      ['post', `/api/backups/${id}/verify`],
    ] as const) {
      const response = await t.http()[method](path).set(tenantAuth);
      expect(response.status).toBe(403);
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    const bad = await t.http().get('/api/backups/not-a-uuid').set(adminAuth);
    expect(bad.status).toBe(400);
    const unknown = await t.http().post(`/api/backups/${id}/verify`).set(adminAuth);
    expect(unknown.status).toBe(404);
    expect(unknown.body.type).toBe('not-found');
    expect((await t.http().get('/api/backups?cursor=garbage').set(adminAuth)).status).toBe(400);
  });

  describe('missing or too old pg_dump', () => {
    let binDir: string;
    let broken: TestApp | undefined;
    beforeAll(async () => {
      binDir = await mkdtemp(join(tmpdir(), 'backups-e2e-bin-'));
    });
    afterAll(async () => {
      await broken?.close();
      await rm(binDir, { recursive: true, force: true });
    });

    it('records a failed backup naming the package to install; readiness is 503 when backups are required', async () => {
      broken = await createTestApp({
        database: t.database,
        env: { BACKUP_DIR: directory, PG_BIN_DIR: binDir, BACKUP_READINESS_REQUIRED: 'true' },
      });
      const token = await platformAdminToken(broken);
      const started = await broken.http().post('/api/backups').set('Authorization', `Bearer ${token}`);
      expect(started.status).toBe(202);
      const failed = await finished(broken, bodyOf<BackupStartedView>(started).id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toContain(`pg_dump not found in PG_BIN_DIR (${binDir})`);
      expect(failed.error).toContain('apt-get install postgresql-client-15');
      const verify = await broken
        .http()
        .post(`/api/backups/${failed.id}/verify`)
        .set('Authorization', `Bearer ${token}`);
      expect(verify.status).toBe(409);
      expect(verify.body.type).toBe('backup-not-verifiable');

      const ready = await broken.http().get('/health/ready');
      expect(ready.status).toBe(503);
      expect(ready.body.error.backup.status).toBe('down');
      expect((ready.body.error.backup.problems as string[]).join(' ')).toContain('postgresql-client-15');
      expect(ready.body.details.database.status).toBe('up');
    });

    it('refuses a pg_dump older than the server', async () => {
      for (const tool of ['pg_dump', 'pg_restore']) {
        const path = join(binDir, tool);
        await writeFile(path, `#!/bin/sh\necho "${tool} (PostgreSQL) 14.11"\n`);
        await chmod(path, 0o755);
      }
      const result = await cli(
        { ...t, env: { ...t.env, PG_BIN_DIR: binDir } },
        'backup:create',
        '--skip-verify',
      );
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(
        'is version 14 (pg_dump (PostgreSQL) 14.11), older than the PostgreSQL 15',
      );
      expect(result.stderr).toContain('postgresql-client-15');
      const [row] = await t.database.query<{ status: string; error: string }>(
        `select status, error from backups order by started_at desc limit 1`,
      );
      expect(row.status).toBe('failed');
      expect(row.error).toContain('older than the PostgreSQL 15 server');
    });
  });

  describe('a backup through the API, verified by restore', () => {
    it('POST answers 202 running; the backup then succeeds with the size and sha256 of its file', async () => {
      // An earlier backup of the test's own, so that the list has a second page.
      const earlier = await unverifiedBackup();
      const started = await t.http().post('/api/backups').set(adminAuth);
      expect(started.status).toBe(202);
      expect(started.body).toEqual({ id: expect.any(String), status: 'running' });
      const backup = await finished(t, bodyOf<BackupStartedView>(started).id);
      expect(backup.status).toBe('succeeded');
      expect(backup.error).toBeNull();
      const path = join(directory, backup.fileName!);
      expect(backup.sizeBytes).toBe((await stat(path)).size);
      expect(backup.sha256).toBe(await sha256Of(path));
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect((await stat(directory)).mode & 0o777).toBe(0o700);
      expect((await readdir(directory)).filter((name) => name.includes('.partial'))).toEqual([]);

      const list = await t.http().get('/api/backups?limit=1').set(adminAuth);
      expect(list.status).toBe(200);
      const page = bodyOf<BackupPageView>(list);
      expect(page.data[0].id).toBe(backup.id);
      expect(page.nextCursor).toEqual(expect.any(String));
      const next = await t.http().get(`/api/backups?limit=1&cursor=${page.nextCursor}`).set(adminAuth);
      expect(bodyOf<BackupPageView>(next).data[0].id).toBe(earlier.id);
    });

    it('recorded the row counts and ledger checksum of the dump snapshot, also in the manifest', async () => {
      const checksumAtDump = await ledgerChecksum(t.database.url);
      const backup = await unverifiedBackup();
      const [row] = await t.database.query<{ table_counts: Record<string, number>; ledger_checksum: string }>(
        `select table_counts, ledger_checksum from backups where id = $1`,
        [backup.id],
      );
      const countsAtDump = row.table_counts;
      expect(row.ledger_checksum).toBe(checksumAtDump);
      // Nothing but the catalogue changed since the dump: every recorded count is today's count.
      for (const [table, count] of Object.entries(countsAtDump)) {
        const [{ n }] = await t.database.query<{ n: number }>(`select count(*)::int as n from "${table}"`);
        expect({ table, count }).toEqual({ table, count: n });
      }
      // The set-up posted 5 ledger rows: two receipts, an issue and the two legs of a transfer.
      expect(countsAtDump.inventory_ledger).toBeGreaterThanOrEqual(5);
      expect(countsAtDump).not.toHaveProperty('backups');
      const manifest = JSON.parse(
        await readFile(join(directory, backup.fileName!.replace(/\.dump$/, '.json')), 'utf8'),
      ) as Record<string, unknown>;
      expect(manifest).toMatchObject({
        id: backup.id,
        sha256: backup.sha256,
        sizeBytes: backup.sizeBytes,
        tableCounts: countsAtDump,
        ledgerChecksum: checksumAtDump,
      });
    });

    it('verification passes: same row counts, equal ledger checksum, zero drift; the scratch database is gone', async () => {
      const checksumAtDump = await ledgerChecksum(t.database.url);
      const backup = await unverifiedBackup();
      const [{ table_counts: countsAtDump }] = await t.database.query<{
        table_counts: Record<string, number>;
      }>(`select table_counts from backups where id = $1`, [backup.id]);
      const response = await t.http().post(`/api/backups/${backup.id}/verify`).set(adminAuth);
      expect(response.status).toBe(200);
      const verified = bodyOf<BackupBody>(response);
      expect(verified.verifyStatus).toBe('passed');
      expect(verified.verifiedAt).toEqual(expect.any(String));
      const details = verified.verifyDetails!;
      expect(details.reasons).toEqual([]);
      expect(details.scratchDatabase).toBe(`verify_${backup.id.replace(/-/g, '')}`);
      expect(details.tables).toEqual({ checked: Object.keys(countsAtDump).length, mismatched: [] });
      expect(details.ledgerChecksum).toEqual({ expected: checksumAtDump, actual: checksumAtDump });
      const [{ n: balances }] = await t.database.query<{ n: number }>(
        `select count(*)::int as n from inventory_balances`,
      );
      expect(details.reconciliation).toMatchObject({ keysChecked: balances, driftKeys: 0 });
      expect(details.scratchDropped).toBe(true);
      expect(await scratchDatabases()).toEqual([]);
    });

    it('monitor: a fresh verified backup is ok (exit 0); readiness up; the gauges carry its times', async () => {
      const backup = await verifiedBackup();
      const result = await cli(t, 'monitor:backups');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`backups ok: newest verified backup ${backup.id}`);

      const ready = await t.http().get('/health/ready');
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ok');
      expect(ready.body.details.backup).toEqual({
        status: 'up',
        newestVerifiedAt: backup.verifiedAt,
        newestVerifiedTakenAt: backup.startedAt,
      });

      const metrics = (await t.http().get('/metrics')).text;
      const gauge = (name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1]);
      expect(gauge('backup_last_verified_timestamp_seconds')).toBeCloseTo(
        Date.parse(backup.verifiedAt!) / 1000,
        2,
      );
      expect(gauge('backup_last_success_timestamp_seconds')).toBeCloseTo(
        Date.parse(backup.finishedAt!) / 1000,
        2,
      );
    });

    it('monitor: a verified backup older than BACKUP_MAX_AGE_HOURS is an alert', async () => {
      const backup = await verifiedBackup();
      const shift = `interval '26 hours'`;
      await t.database.query(
        `update backups set started_at = started_at - ${shift}, finished_at = finished_at - ${shift},
                verified_at = verified_at - ${shift}`,
      );
      try {
        const result = await cli(t, 'monitor:backups');
        expect(result.code).toBe(1);
        expect(result.stdout).toContain(`the newest verified backup (${backup.id}) was taken at`);
        expect(result.stdout).toContain('more than BACKUP_MAX_AGE_HOURS (25 h) ago');
        const ready = await t.http().get('/health/ready');
        expect(ready.status).toBe(200);
        expect(ready.body.details.backup.status).toBe('degraded');
      } finally {
        await t.database.query(
          `update backups set started_at = started_at + ${shift}, finished_at = finished_at + ${shift},
                  verified_at = verified_at + ${shift}`,
        );
      }
      expect((await cli(t, 'monitor:backups')).code).toBe(0);
    });

    it('a second backup or verification while one holds the lock is a 409 problem', async () => {
      const backup = await unverifiedBackup();
      const holder = new pg.Client({ connectionString: t.database.url });
      await holder.connect();
      try {
        await holder.query(`select pg_advisory_lock(hashtext('job:backup'))`);
        const second = await t.http().post('/api/backups').set(adminAuth);
        expect(second.status).toBe(409);
        expect(second.body).toMatchObject({ type: 'backup-in-progress', status: 409 });
        const verify = await t.http().post(`/api/backups/${backup.id}/verify`).set(adminAuth);
        expect(verify.status).toBe(409);
        const command = await cli(t, 'verify:backup', backup.id);
        expect(command.code).toBe(1);
        expect(command.stderr).toContain('holds the backup lock');
      } finally {
        await holder.end();
      }
    });
  });

  describe('tampered files fail verification cleanly', () => {
    it('a truncated file fails on its checksum, with a reason and no 5xx', async () => {
      const backup = await unverifiedBackup();
      const path = join(directory, backup.fileName!);
      await truncate(path, Math.floor(backup.sizeBytes! / 2));
      const response = await t.http().post(`/api/backups/${backup.id}/verify`).set(adminAuth);
      expect(response.status).toBe(200);
      const body = bodyOf<BackupBody>(response);
      expect(body.verifyStatus).toBe('failed');
      expect(body.verifyDetails!.reasons[0]).toMatch(/^sha256 mismatch/);
      expect(body.verifyDetails!.file).toMatchObject({
        actualSizeBytes: Math.floor(backup.sizeBytes! / 2),
        expectedSizeBytes: backup.sizeBytes,
      });
      expect(await scratchDatabases()).toEqual([]);

      const monitor = await cli(t, 'monitor:backups');
      expect(monitor.code).toBe(1);
      expect(monitor.stdout).toContain(`the last backup (${backup.id}) failed verification: sha256 mismatch`);
    });

    it('one altered byte fails on its checksum (verify:backup exits 1)', async () => {
      const backup = await unverifiedBackup();
      const file = await open(join(directory, backup.fileName!), 'r+');
      try {
        const middle = Math.floor(backup.sizeBytes! / 2);
        const byte = Buffer.alloc(1);
        await file.read(byte, 0, 1, middle);
        byte[0] ^= 0xff;
        await file.write(byte, 0, 1, middle);
      } finally {
        await file.close();
      }
      const result = await cli(t, 'verify:backup', backup.id);
      expect(result.code).toBe(1);
      expect(result.stdout).toContain(`verification of ${backup.id} FAILED: sha256 mismatch`);
      expect((await getBackup(backup.id)).verifyDetails!.file).toMatchObject({
        actualSizeBytes: backup.sizeBytes,
      });
    });

    it('a dump cut short when written (checksum of the short file) fails in pg_restore; the scratch database is dropped', async () => {
      const backup = await unverifiedBackup();
      const path = join(directory, backup.fileName!);
      await truncate(path, Math.floor(backup.sizeBytes! * 0.6));
      const { size } = await stat(path);
      await t.database.query(`update backups set sha256 = $2, size_bytes = $3 where id = $1`, [
        backup.id,
        await sha256Of(path),
        size,
      ]);
      const response = await t.http().post(`/api/backups/${backup.id}/verify`).set(adminAuth);
      expect(response.status).toBe(200);
      const details = bodyOf<BackupBody>(response).verifyDetails!;
      expect(bodyOf<BackupBody>(response).verifyStatus).toBe('failed');
      expect(details.reasons[0]).toMatch(/^pg_restore failed: pg_restore exited with code 1: /);
      expect(details.scratchDropped).toBe(true);
      expect(await scratchDatabases()).toEqual([]);
    });
  });

  it('a backup left running by a dead process is marked failed, and its partial file removed, by the next one', async () => {
    const [stale] = await t.database.query<{ id: string }>(
      `insert into backups (status, trigger, started_at) values ('running', 'cron', now() - interval '1 hour')
       returning id`,
    );
    const partial = join(directory, `.partial-${stale.id}.dump`);
    await writeFile(partial, 'half a dump');
    const result = await cli(t, 'backup:create', '--skip-verify');
    expect(result.code).toBe(0);
    const [row] = await t.database.query<{ status: string; error: string }>(
      `select status, error from backups where id = $1`,
      [stale.id],
    );
    expect(row).toEqual({
      status: 'failed',
      error: 'interrupted: the process running it stopped before it finished',
    });
    await expect(stat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('an app closing during a backup stops pg_dump and records the backup as failed', async () => {
    const closing = await createTestApp({ database: t.database, env: { BACKUP_DIR: directory } });
    // Holding an exclusive lock on a table keeps pg_dump (and the snapshot's counts) waiting: a long dump.
    const blocker = new pg.Client({ connectionString: t.database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table items in access exclusive mode');
      const token = await platformAdminToken(closing);
      const started = await closing.http().post('/api/backups').set('Authorization', `Bearer ${token}`);
      expect(started.status).toBe(202);
      const id = bodyOf<BackupStartedView>(started).id;
      for (let waited = 0; ; waited += 50) {
        const waiting = await t.database.query(
          `select 1 from pg_stat_activity where application_name = 'pg_dump' and wait_event_type = 'Lock'`,
        );
        if (waiting.length > 0) break;
        if (waited > 20_000) throw new Error('pg_dump never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await closing.close();
      const [row] = await t.database.query<{ status: string; error: string }>(
        `select status, error from backups where id = $1`,
        [id],
      );
      expect(row.status).toBe('failed');
      expect(row.error).toBe('pg_dump stopped: the service is shutting down');
      expect((await readdir(directory)).filter((name) => name.includes('.partial'))).toEqual([]);
    } finally {
      await blocker.end();
    }
  });

  it('a pg_dump running past BACKUP_TIMEOUT_MS is stopped and the backup fails with that reason', async () => {
    const blocker = new pg.Client({ connectionString: t.database.url });
    await blocker.connect();
    try {
      await blocker.query('begin');
      await blocker.query('lock table items in access exclusive mode');
      const slow = { ...t, env: { ...t.env, BACKUP_TIMEOUT_MS: 1000 } };
      const result = await cli(slow, 'backup:create', '--skip-verify');
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('pg_dump timed out after 1000 ms (BACKUP_TIMEOUT_MS)');
    } finally {
      await blocker.end();
    }
    const [row] = await t.database.query<{ status: string; error: string }>(
      `select status, error from backups order by started_at desc limit 1`,
    );
    expect(row).toEqual({ status: 'failed', error: 'pg_dump timed out after 1000 ms (BACKUP_TIMEOUT_MS)' });
    expect((await readdir(directory)).filter((name) => name.includes('.partial'))).toEqual([]);
  });

  it('two app instances on one database run the backup cron once (advisory lock)', async () => {
    const second = await createTestApp({ database: t.database, env: { BACKUP_DIR: directory } });
    try {
      const [{ n: before }] = await t.database.query<{ n: number }>(`select count(*)::int as n from backups`);
      const outcomes = await Promise.all([
        t.app.get(BackupJobs).backupCron(),
        second.app.get(BackupJobs).backupCron(),
      ]);
      expect(outcomes.map((outcome) => outcome.ran).sort()).toEqual([false, true]);
      const ran = outcomes.find((outcome) => outcome.ran)!;
      expect(ran.ran && ran.result.verified?.verifyStatus).toBe('passed');
      const [{ n: after }] = await t.database.query<{ n: number }>(`select count(*)::int as n from backups`);
      expect(after).toBe(before + 1);
    } finally {
      await second.close();
    }
  });

  describe('restore:backup into a new database', () => {
    let restored: TestDatabase;
    let backupId: string;

    beforeAll(async () => {
      const result = await cli(t, 'backup:create');
      expect(result.code).toBe(0);
      backupId = /backup ([0-9a-f-]{36}) succeeded/.exec(result.stdout)![1];
      const name = `${t.database.name}_restored`;
      const url = new URL(t.database.url);
      url.pathname = `/${name}`;
      restored = {
        name,
        url: url.toString(),
        query: async <Row extends object>(sql: string, params?: unknown[]) =>
          withAdminClient(url.toString(), async (client) => (await client.query<Row>(sql, params)).rows),
        drop: () =>
          withAdminClient(testServer().adminUrl, (client) =>
            client.query(`drop database if exists ${client.escapeIdentifier(name)} with (force)`),
          ).then(() => undefined),
      };
    });
    afterAll(() => restored.drop());

    it('refuses without --yes, into an existing database, with a bad name, and --replace-live', async () => {
      const noYes = await cli(t, 'restore:backup', backupId, '--target-database', restored.name);
      expect(noYes.code).toBe(1);
      expect(noYes.stderr).toContain('run it again with --yes to confirm');

      const existing = await cli(
        t,
        'restore:backup',
        backupId,
        '--target-database',
        t.database.name,
        '--yes',
      );
      expect(existing.code).toBe(1);
      expect(existing.stderr).toContain(`database ${t.database.name} already exists`);

      const badName = await cli(t, 'restore:backup', backupId, '--target-database', 'Bad-Name', '--yes');
      expect(badName.code).toBe(1);
      expect(badName.stderr).toContain('targetDatabase must match');

      const replace = await cli(t, 'restore:backup', backupId, '--replace-live', '--yes');
      expect(replace.code).toBe(1);
      expect(replace.stderr).toContain('--replace-live is not supported');
      expect(replace.stderr).toContain('docs/operations.md');

      const missing = await cli(t, 'restore:backup', '--target-database', restored.name, '--yes');
      expect(missing.code).toBe(1);
      const databases = await t.database.query<{ datname: string }>(
        `select datname from pg_database where datname = $1`,
        [restored.name],
      );
      expect(databases).toEqual([]);
    });

    it('restores, checks and explains; a service started on it has the data and zero drift', async () => {
      const balancesAtDump = await balancesOf(t, tenantAuth);
      // A change after the dump: the restored copy must not have it.
      await post({ type: 'receipt', lines: [{ itemId, locationId: locations[1], qty: 1000 }] });
      expect(await balancesOf(t, tenantAuth)).not.toEqual(balancesAtDump);
      const [row] = await t.database.query<{ ledger_checksum: string; table_counts: Record<string, number> }>(
        `select ledger_checksum, table_counts from backups where id = $1`,
        [backupId],
      );
      expect(await ledgerChecksum(t.database.url)).not.toBe(row.ledger_checksum);

      const result = await cli(t, 'restore:backup', backupId, '--target-database', restored.name, '--yes');
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`restored backup ${backupId}`);
      expect(result.stdout).toContain('ledger checksum equal');
      const url = new URL(restored.url);
      url.password = '***';
      expect(result.stdout).toContain(`DATABASE_URL=${url.toString()}`);
      expect(result.stdout).not.toContain(new URL(t.database.url).password);

      expect(await ledgerChecksum(restored.url)).toBe(row.ledger_checksum);
      const [{ n: ledgerRows }] = await restored.query<{ n: number }>(
        `select count(*)::int as n from inventory_ledger`,
      );
      expect(ledgerRows).toBe(row.table_counts.inventory_ledger);

      const onCopy = await createTestApp({
        database: restored,
        env: { DATABASE_URL: restored.url, BACKUP_DIR: directory },
      });
      try {
        const token = await login(onCopy, tenant.slug, tenant.admin.email, tenant.admin.password);
        expect(await balancesOf(onCopy, { Authorization: `Bearer ${token}` })).toEqual(balancesAtDump);
        expect(Object.keys(balancesAtDump)).toHaveLength(3);
        const reconcile = await cli(onCopy, 'reconcile:balances');
        expect(reconcile.code).toBe(0);
        expect(reconcile.stdout).toMatch(/3 balance keys checked, 0 drifted/);
        // The catalogue's rows are not in the dump: the copy starts with an empty one.
        const [{ n: catalogued }] = await restored.query<{ n: number }>(
          `select count(*)::int as n from backups`,
        );
        expect(catalogued).toBe(0);
      } finally {
        await onCopy.close();
      }
    });

    it('restores on a database without the catalogue (it was lost) from the manifest beside the file', async () => {
      await restored.drop();
      // The CLI connected to the server's `postgres` database, where no backups table exists: as on a new server.
      const { adminUrl } = testServer();
      const env = { ...t.env, DATABASE_URL: adminUrl };
      const elsewhere = { ...t, env, endpoints: databaseEndpoints(env, adminUrl) };
      const result = await cli(
        elsewhere,
        'restore:backup',
        backupId,
        '--target-database',
        restored.name,
        '--yes',
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('from the manifest');
      expect(result.stdout).toContain(`restored backup ${backupId}`);
      const [row] = await t.database.query<{ ledger_checksum: string }>(
        `select ledger_checksum from backups where id = $1`,
        [backupId],
      );
      expect(await ledgerChecksum(restored.url)).toBe(row.ledger_checksum);
    });
  });

  it('retention deletes backups older than BACKUP_RETENTION_DAYS but always keeps the newest verified one', async () => {
    // The test's own: a verified backup, then newer ones that were never verified.
    const verified = await verifiedBackup();
    const unverified = [await unverifiedBackup(), await unverifiedBackup(), await unverifiedBackup()];
    const [newestVerified] = await t.database.query<{ id: string; file_name: string }>(
      `select id, file_name from backups where verify_status = 'passed' order by started_at desc limit 1`,
    );
    expect(newestVerified.id).toBe(verified.id);
    const [fresh] = await t.database.query<{ id: string }>(
      `insert into backups (status, trigger, started_at, finished_at, error)
       values ('failed', 'cli', now() - interval '1 day', now() - interval '1 day', 'a recent failure')
       returning id`,
    );
    // Every backup but the recent failure is made 20 days old, the newest verified one included.
    await t.database.query(`update backups set started_at = started_at - interval '20 days' where id <> $1`, [
      fresh.id,
    ]);
    const old = await t.database.query<{ id: string; file_name: string | null }>(
      `select id, file_name from backups where id not in ($1, $2)`,
      [fresh.id, newestVerified.id],
    );
    expect(old.map((row) => row.id)).toEqual(expect.arrayContaining(unverified.map((backup) => backup.id)));

    const result = await cli(t, 'backups:prune');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `deleted ${old.length} backup(s); kept the newest verified one: ${newestVerified.id}`,
    );
    const left = await t.database.query<{ id: string }>(`select id from backups order by started_at`);
    expect(left.map((row) => row.id).sort()).toEqual([fresh.id, newestVerified.id].sort());
    const files = await readdir(directory);
    expect(files.sort()).toEqual(
      [newestVerified.file_name, newestVerified.file_name.replace(/\.dump$/, '.json')].sort(),
    );
  });
});
