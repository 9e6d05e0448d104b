import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { loadEnvironment } from '../config/load-environment.js';
import { openDatabaseServer } from '../database/database-endpoints.js';
import { CliModule } from './cli.module.js';

/**
 * Entry point of `npm run <command>` (validate:migration, and the operations commands of later modules).
 * Uses DATABASE_URL, or the embedded PostgreSQL: joined when the service runs, otherwise started for the
 * command and stopped at exit. Commands that check something never migrate first.
 */
const environment = loadEnvironment();
const env = { ...environment, MIGRATIONS_RUN: false };
const server = await openDatabaseServer(env, (message) => process.stderr.write(`${message}\n`));
server.embedded?.stopOnExit();

try {
  await CommandFactory.run(CliModule.forRoot(env, server.endpoints), {
    logger: ['error', 'warn'],
    errorHandler: (error) => {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    },
  });
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exitCode = 1;
}
process.exit(process.exitCode ?? 0);
