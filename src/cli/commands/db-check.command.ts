import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner } from 'nest-commander';
import type { DataSource } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from '../../platform/database/database.constants.js';
import { checkSqlDefinitions, formatSqlDrift } from '../../platform/database/sql-definitions.js';

@Command({
  name: 'db:check',
  description:
    'Compare the functions and triggers of the migrated database with db/functions and db/triggers (exit 1 on drift). ' +
    'Takes exclusive locks on the tables with triggers for a moment: run it on a development or scratch database.',
})
export class DbCheckCommand extends CommandRunner {
  constructor(@InjectDataSource(MAINTENANCE_DATA_SOURCE) private readonly owner: DataSource) {
    super();
  }

  async run(): Promise<void> {
    const drift = await checkSqlDefinitions(this.owner);
    process.stdout.write(`${formatSqlDrift(drift)}\n`);
    if (drift.length > 0) process.exitCode = 1;
  }
}
