import type { DynamicModule, Type } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Test } from '@nestjs/testing';
import supertest from 'supertest';
import { AppModule } from '../../src/app.module.js';
import { configureApp } from '../../src/app.setup.js';
import { createRootLogger } from '../../src/platform/observability/root-logger.js';
import { parseEnvironment, type Environment } from '../../src/platform/config/environment.js';
import { databaseEndpoints, type DatabaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import { TEST_APP_PASSWORD, createTestDatabase, type TestDatabase } from './test-database-server.js';

export const TEST_JWT_SECRET = 'test-only-jwt-secret-0123456789abcdef';

/** The platform administrator every test app bootstraps in the tenant `default`. */
export const TEST_PLATFORM_ADMIN = {
  email: 'platform-admin@example.com',
  password: 'platform-admin-password',
};

export interface TestApp {
  app: NestExpressApplication;
  env: Environment;
  database: TestDatabase;
  endpoints: DatabaseEndpoints;
  /** supertest bound to the running app. */
  http: () => ReturnType<typeof supertest>;
  close(): Promise<void>;
}

/**
 * Boots the real application (same module, same configureApp as main.ts) on its own database cloned from the
 * migrated template. `env` overrides variables as strings, exactly as the environment would.
 */
export interface TestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (e.g. to run two app instances on one database); the caller drops it. */
  database?: TestDatabase;
  /** Extra modules mounted next to AppModule, e.g. a probe controller for cross-cutting behaviour. */
  imports?: Array<Type | DynamicModule>;
}

export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const env = parseEnvironment({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    MIGRATIONS_RUN: 'false',
    DATABASE_POOL_SIZE: '4',
    DATABASE_URL: database.url,
    DATABASE_APP_PASSWORD: TEST_APP_PASSWORD,
    JWT_SECRET: TEST_JWT_SECRET,
    SCHEDULERS_ENABLED: 'false',
    WEBHOOK_DISPATCHER_ENABLED: 'false',
    BOOTSTRAP_ADMIN_EMAIL: TEST_PLATFORM_ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: TEST_PLATFORM_ADMIN.password,
    ...options.env,
  });
  const endpoints = databaseEndpoints(env, env.DATABASE_URL!);
  const moduleRef = await Test.createTestingModule({
    imports: [
      AppModule.forRoot({ env, database: endpoints, logger: createRootLogger(env) }),
      ...(options.imports ?? []),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestExpressApplication>({
    bodyParser: false,
    logger: false,
    abortOnError: false,
  });
  await configureApp(app, env);
  const server = app.getHttpServer();
  return {
    app,
    env,
    database,
    endpoints,
    http: () => supertest(server),
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
