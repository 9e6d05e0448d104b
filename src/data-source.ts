import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadEnvironment } from './platform/config/load-environment.js';
import { openDatabaseServer } from './platform/database/database-endpoints.js';
import { dataSourceOptions } from './platform/database/data-source-options.js';
import { entities } from './entities.js';

/**
 * The TypeORM CLI's data source (npm run migration:*). Connects as the owner role: DATABASE_URL when set,
 * otherwise the embedded PostgreSQL, joined if the service is running or started for the command and
 * stopped again when the command exits.
 */
const env = loadEnvironment();
const server = await openDatabaseServer(env, (message) => process.stderr.write(`${message}\n`));
server.embedded?.stopOnExit();

// Entities are included so that `migration:generate` can diff them against the schema.
export default new DataSource({
  ...dataSourceOptions(server.endpoints.ownerUrl, {
    poolSize: 2,
    statementTimeoutMs: 0,
    applicationName: 'inventory-enterprise:migrations',
  }),
  entities,
});
