import { InjectDataSource } from '@nestjs/typeorm';
import { Command, CommandRunner } from 'nest-commander';
import type { DataSource } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from '../../platform/database/database.constants.js';
import { formatSchemaReport, validateSchema } from '../../platform/database/schema-validator.js';

@Command({
  name: 'validate:migration',
  description: 'Check that every migration is applied and every tenant table keeps the tenancy invariants',
})
export class ValidateMigrationCommand extends CommandRunner {
  constructor(@InjectDataSource(MAINTENANCE_DATA_SOURCE) private readonly owner: DataSource) {
    super();
  }

  async run(): Promise<void> {
    const checks = await validateSchema(this.owner);
    process.stdout.write(`${formatSchemaReport(checks)}\n`);
    if (checks.some((check) => !check.ok)) process.exitCode = 1;
  }
}
