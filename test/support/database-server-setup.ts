import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { parseEnvironment } from '../../src/platform/config/environment.js';
import { databaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import { migrationDataSourceOptions } from '../../src/platform/database/data-source-options.js';
import { EmbeddedPostgres } from '../../src/platform/dev-database/embedded-postgres.js';
import { ensureAppRoleLogin, migrateToLatest } from '../../src/platform/database/schema-migrator.js';
import { TEST_APP_PASSWORD, databaseUrl, withAdminClient } from './test-database-server.js';
import { freePort } from './free-port.js';

interface GlobalState {
  embedded?: EmbeddedPostgres;
  clusterDir?: string;
  adminUrl: string;
  templateDatabase: string;
}

/**
 * Loaded by global-setup.ts through tsx. Once per `npm test`: a PostgreSQL server (the embedded one in a temporary directory, or DATABASE_URL's),
 * a template database migrated with the real migrations, and the app role's password. Each test file then
 * clones the template (test-database-server.ts).
 */
export async function startTestDatabaseServer(): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  let clusterDir: string | undefined;
  let adminUrl: string;
  if (process.env.DATABASE_URL) {
    adminUrl = databaseUrl(process.env.DATABASE_URL, 'postgres');
  } else {
    // Under the system temp dir, not the checkout (which may be 0700). mkdtemp makes the directory 0700 too,
    // and as root the cluster runs as the postgres user, which must traverse it.
    clusterDir = await mkdtemp(join(tmpdir(), 'inventory-enterprise-test-'));
    await chmod(clusterDir, 0o755);
    embedded = await EmbeddedPostgres.start({
      dataDir: join(clusterDir, 'pg'),
      port: await freePort(),
      superuserPassword: randomBytes(12).toString('hex'),
      database: 'postgres',
      log: () => undefined,
    });
    adminUrl = embedded.url;
  }

  const templateDatabase = `it_${randomBytes(4).toString('hex')}_template`;
  try {
    await prepareTemplate(adminUrl, templateDatabase);
  } catch (error) {
    // Jest runs no teardown when the setup fails: stop the server here, or it outlives the run.
    await embedded?.stop().catch(() => undefined);
    if (clusterDir) await rm(clusterDir, { recursive: true, force: true });
    throw error;
  }

  process.env.TEST_PG_ADMIN_URL = adminUrl;
  process.env.TEST_TEMPLATE_DATABASE = templateDatabase;
  (globalThis as { __TEST_DATABASE__?: GlobalState }).__TEST_DATABASE__ = {
    embedded,
    clusterDir,
    adminUrl,
    templateDatabase,
  };
}

/** Creates the template database, migrates it with the real migrations and closes it for cloning. */
async function prepareTemplate(adminUrl: string, templateDatabase: string): Promise<void> {
  await withAdminClient(adminUrl, (client) =>
    client.query(`create database ${client.escapeIdentifier(templateDatabase)}`),
  );
  const env = parseEnvironment({
    DATABASE_URL: databaseUrl(adminUrl, templateDatabase),
    DATABASE_APP_PASSWORD: TEST_APP_PASSWORD,
  });
  const endpoints = databaseEndpoints(env, env.DATABASE_URL!);
  const owner = await new DataSource(
    migrationDataSourceOptions(endpoints.ownerUrl, 'test-setup'),
  ).initialize();
  try {
    await migrateToLatest(owner);
    await ensureAppRoleLogin(owner, endpoints);
  } finally {
    await owner.destroy();
  }
  await withAdminClient(adminUrl, (client) =>
    client.query(
      `alter database ${client.escapeIdentifier(templateDatabase)} with is_template true allow_connections false`,
    ),
  );
}

export async function stopTestDatabaseServer(): Promise<void> {
  const state = (globalThis as { __TEST_DATABASE__?: GlobalState }).__TEST_DATABASE__;
  if (!state) return;
  if (state.embedded) {
    await state.embedded.stop();
  } else {
    // A shared server: remove what this run created.
    await withAdminClient(state.adminUrl, async (client) => {
      // Every database of this run starts with the template's run prefix (it_<run id>_).
      const runPrefix = state.templateDatabase.replace(/template$/, '');
      const { rows } = await client.query<{ datname: string }>(
        `select datname from pg_database where starts_with(datname, $1) order by datname = $2`,
        [runPrefix, state.templateDatabase],
      );
      await client.query(
        `alter database ${client.escapeIdentifier(state.templateDatabase)} with is_template false`,
      );
      for (const { datname } of rows)
        await client.query(`drop database if exists ${client.escapeIdentifier(datname)} with (force)`);
    });
  }
  if (state.clusterDir) await rm(state.clusterDir, { recursive: true, force: true });
}
