import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigurationError, type Environment, parseEnvironment } from './environment.js';
import { projectRoot } from './project-paths.js';

/**
 * For entry points (service, CLI, TypeORM data source): reads the project's .env if present (real environment
 * variables win), validates, and on a bad value ends the process with one line naming the variable.
 */
export function loadEnvironment(): Environment {
  const dotEnv = join(projectRoot, '.env');
  if (existsSync(dotEnv)) process.loadEnvFile(dotEnv);
  try {
    return parseEnvironment(process.env);
  } catch (error) {
    if (error instanceof ConfigurationError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
