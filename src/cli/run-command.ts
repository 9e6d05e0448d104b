import { CommandFactory, CommandRunnerService } from 'nest-commander';
import type { Environment } from '../platform/config/environment.js';
import type { DatabaseEndpoints } from '../platform/database/database-endpoints.js';
import { mapPostgresError } from '../platform/http/problem-details/postgres-error-mapping.js';
import { DomainException, type FieldError } from '../platform/http/problem-details/problem-details.js';
import { CliModule } from './cli.module.js';

/**
 * Runs one CLI command (`args` as after `npm run <command> --`, command name first) against `endpoints` and
 * resolves to its exit code. Used by main.ts and by the e2e tests, which run the real commands in-process.
 */
export async function runCommand(
  env: Environment,
  endpoints: DatabaseEndpoints,
  args: string[],
): Promise<number> {
  process.exitCode = undefined;
  // 2: the command line itself is wrong (unknown option, missing argument); 1: the command failed.
  let failure: 0 | 1 | 2 = 0;
  // A command never runs the cron jobs or the webhook dispatcher; it runs one job (or none) and exits.
  const app = await CommandFactory.createWithoutRunning(
    CliModule.forRoot({ ...env, SCHEDULERS_ENABLED: false, WEBHOOK_DISPATCHER_ENABLED: false }, endpoints),
    {
      logger: ['error', 'warn'],
      // commander's own errors (unknown option, missing argument, --help) are printed by commander; it then
      // calls process.exit unless this handler throws, so throw and decide the exit code below.
      errorHandler: (error) => {
        throw error;
      },
      serviceErrorHandler: (error) => {
        process.stderr.write(`${describeFailure(error)}\n`);
        failure = 1;
      },
    },
  );
  try {
    await app.get(CommandRunnerService).run(['node', 'cli', ...args]);
  } catch (error) {
    const commanderCode = (error as { code?: unknown }).code;
    if (typeof commanderCode === 'string' && commanderCode.startsWith('commander.')) {
      failure = commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' ? 0 : 2;
    } else {
      process.stderr.write(`${describeFailure(error)}\n`);
      failure = 1;
    }
  } finally {
    await app.close();
  }
  const code = failure || Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return code;
}

/** One readable line (plus one per invalid field) instead of a stack trace. */
export function describeFailure(error: unknown): string {
  if (error instanceof DomainException) {
    const errors = (error.extensions.errors ?? []) as FieldError[];
    return [`error: ${error.message}`, ...errors.map((e) => `  ${e.field}: ${e.message}`)].join('\n');
  }
  const mapped = mapPostgresError(error);
  if (mapped) return `error: ${mapped.detail}`;
  return `error: ${(error as Error).message}`;
}
