import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { type ServiceProcess, startServiceProcess } from '../../kit/service-process.js';
import { BUILD_DIR } from './build.js';
import { LOGS_DIR, type ReliabilityDatabase } from './database.js';

export type { ServiceProcess };

/** The environment every service process and CLI run of the suite gets (before a scenario's own variables). */
export function serviceEnvironment(database: ReliabilityDatabase): Record<string, string> {
  return {
    NODE_ENV: 'test',
    LOG_LEVEL: 'error',
    HOST: '127.0.0.1',
    MIGRATIONS_RUN: 'true',
    LOGIN_THROTTLE_LIMIT: '1000',
    SCHEDULERS_ENABLED: 'false',
    WEBHOOK_DISPATCHER_ENABLED: 'false',
    ...database.env,
  };
}

/**
 * Starts the built service from the suite's copy of dist/ (support/build.ts) and waits until it is ready (every
 * migration applied). Its output also goes to data/reliability/logs/<scenario>-<name>.log (restarts append) for
 * a look after a failure.
 */
export function startService(
  name: string,
  database: ReliabilityDatabase,
  env: Record<string, string> = {},
  port?: number,
): Promise<ServiceProcess> {
  mkdirSync(LOGS_DIR, { recursive: true });
  return startServiceProcess({
    name,
    env: { ...serviceEnvironment(database), ...env },
    port,
    dist: BUILD_DIR,
    logFile: join(LOGS_DIR, `${basename(database.dataDir)}-${name}.log`),
    readyTimeoutMs: 90_000,
  });
}
