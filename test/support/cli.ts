import { jest } from '@jest/globals';
import { runCommand } from '../../src/cli/run-command.js';
import type { Environment } from '../../src/platform/config/environment.js';
import type { DatabaseEndpoints } from '../../src/platform/database/database-endpoints.js';
import type { TestApp } from './test-app.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command in-process exactly as `npm run <command> -- <args>` does; captures its output. */
export async function runCli(
  env: Environment,
  endpoints: DatabaseEndpoints,
  args: string[],
): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const out = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  try {
    const code = await runCommand(env, endpoints, args);
    return { code, stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** A CLI command against a test app's database (migrations already applied). */
export function cli(t: TestApp, ...args: string[]): Promise<CliResult> {
  return runCli({ ...t.env, MIGRATIONS_RUN: false }, t.endpoints, args);
}
