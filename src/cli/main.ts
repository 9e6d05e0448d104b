import 'reflect-metadata';
import { loadEnvironment } from '../platform/config/load-environment.js';
import { openDatabaseServer } from '../platform/database/database-endpoints.js';
import { runCommand } from './run-command.js';

/**
 * Entry point of `npm run <command>` (org:create, org:list, users:assign, validate:migration, and the
 * operations commands of later modules). Uses DATABASE_URL, or the embedded PostgreSQL: joined when the
 * service runs, otherwise started for the command and stopped at exit. Commands never migrate first.
 */
const environment = loadEnvironment();
const env = { ...environment, MIGRATIONS_RUN: false };
const server = await openDatabaseServer(env, (message) => process.stderr.write(`${message}\n`));
server.embedded?.stopOnExit();
process.exit(await runCommand(env, server.endpoints, process.argv.slice(2)));
