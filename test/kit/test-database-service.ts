import { TEST_JWT_SECRET, TEST_PLATFORM_ADMIN } from '../support/test-app.js';
import { TEST_APP_PASSWORD, type TestDatabase } from '../support/test-database-server.js';
import { type ServiceProcess, startServiceProcess } from './service-process.js';

export type { ServiceProcess };

/**
 * Starts the built service on a database of `npm test` (cloned from the migrated template, so no migrations
 * run) with the in-process test app's settings and administrator, and waits until it is ready. `env` overrides.
 */
export function startService(
  database: TestDatabase,
  env: Record<string, string> = {},
): Promise<ServiceProcess> {
  return startServiceProcess({
    env: {
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      MIGRATIONS_RUN: 'false',
      DATABASE_URL: database.url,
      DATABASE_APP_PASSWORD: TEST_APP_PASSWORD,
      JWT_SECRET: TEST_JWT_SECRET,
      SCHEDULERS_ENABLED: 'false',
      WEBHOOK_DISPATCHER_ENABLED: 'false',
      BOOTSTRAP_ADMIN_EMAIL: TEST_PLATFORM_ADMIN.email,
      BOOTSTRAP_ADMIN_PASSWORD: TEST_PLATFORM_ADMIN.password,
      ...env,
    },
    readyTimeoutMs: 30_000,
  });
}
