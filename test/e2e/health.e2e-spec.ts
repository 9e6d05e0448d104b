import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestApp, type TestApp } from '../support/test-app.js';
import { testServer, withAdminClient } from '../support/test-database-server.js';

describe('health', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(() => t.close());

  it('GET /health is liveness in terminus format', async () => {
    const response = await t.http().get('/health');
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('ok');
  });

  it('GET /health/ready checks the database and migrations', async () => {
    const response = await t.http().get('/health/ready');
    expect(response.status).toBe(200);
    // A fresh database has no verified backup yet: reported as degraded, still ready (backups.e2e-spec.ts).
    expect(response.body.status).toBe('degraded');
    expect(response.body.details.backup.status).toBe('degraded');
    expect(response.body.details.database.status).toBe('up');
    expect(response.body.details.migrations.status).toBe('up');
  });

  it('is not ready (503) while there are pending migrations', async () => {
    await withAdminClient(t.database.url, (client) =>
      client.query(`delete from migrations where name = 'CreateAppRole1764100000000'`),
    );
    try {
      const response = await t.http().get('/health/ready');
      expect(response.status).toBe(503);
      expect(response.body.status).toBe('error');
      expect(response.body.error.migrations.status).toBe('down');
      expect(response.body.details.database.status).toBe('up');
    } finally {
      await withAdminClient(t.database.url, (client) =>
        client.query(
          `insert into migrations (timestamp, name) values (1764100000000, 'CreateAppRole1764100000000')`,
        ),
      );
    }
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });

  it('is not ready (503) while the database refuses connections, and recovers', async () => {
    const { adminUrl } = testServer();
    const name = t.database.name;
    await withAdminClient(adminUrl, async (client) => {
      await client.query(`alter database ${client.escapeIdentifier(name)} allow_connections false`);
      await client.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = $1`, [name]);
    });
    try {
      const response = await t.http().get('/health/ready');
      expect(response.status).toBe(503);
      expect(response.body.status).toBe('error');
      expect(response.body.error.database.status).toBe('down');
      expect((await t.http().get('/health')).status).toBe(200);
    } finally {
      await withAdminClient(adminUrl, (client) =>
        client.query(`alter database ${client.escapeIdentifier(name)} allow_connections true`),
      );
    }
    expect((await t.http().get('/health/ready')).status).toBe(200);
  });
});
