import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import type { Environment } from '../config/environment.js';
import { DatabaseModule } from '../database/database.module.js';
import type { DatabaseEndpoints } from '../database/database-endpoints.js';
import { MetricsModule } from '../modules/metrics/metrics.module.js';
import { ValidateMigrationCommand } from './commands/validate-migration.command.js';

/** The command-line application: the same modules as the service, without HTTP. */
@Module({})
export class CliModule {
  static forRoot(env: Environment, database: DatabaseEndpoints): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          validatePredefined: false,
          skipProcessEnv: true,
          load: [() => ({ ...env })],
        }),
        MetricsModule,
        DatabaseModule.forRoot(env, database),
      ],
      providers: [ValidateMigrationCommand],
    };
  }
}
