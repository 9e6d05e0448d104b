import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../platform/config/environment.js';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { DATABASE_ENDPOINTS } from '../../platform/database/database.constants.js';
import type { DatabaseEndpoints } from '../../platform/database/database-endpoints.js';
import { readServerRole, type ServerRole } from './database-facts.js';
import { connectOwner } from './pg-connection.js';

const run = promisify(execFile);

/** What a backup needs, found and checked. */
export interface BackupToolchain {
  pgDump: string;
  pgRestore: string;
  /** e.g. `pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)` */
  pgDumpVersion: string;
  serverVersion: string;
  serverMajor: number;
  /** Set when the owner role cannot create the scratch database that verification restores into. */
  createDatabaseProblem?: string;
}

/** A missing or unusable prerequisite, with what to do about it. Never a crash: the job records it. */
export class BackupPrerequisiteError extends Error {
  override readonly name = 'BackupPrerequisiteError';
}

const CACHE_MS = 60_000;
const VERSION = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/;

/**
 * Finds pg_dump and pg_restore (PG_BIN_DIR, else the PATH) and checks that they can serve this server: their
 * major version must not be older than the server's (an older pg_dump refuses a newer server; an older
 * pg_restore cannot read a newer archive). Also checks the owner role: a complete dump of tables with forced
 * row-level security needs a role that bypasses it, and verification creates a scratch database.
 * The result (or the failure) is cached for a minute, because readiness asks on every probe.
 */
@Injectable()
export class BackupTools {
  private cached?: { at: number; result: Promise<BackupToolchain> };

  constructor(
    private readonly config: ConfigService<Environment, true>,
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
  ) {}

  /** The checked toolchain; throws BackupPrerequisiteError naming what to install or grant. */
  locate(): Promise<BackupToolchain> {
    if (this.cached && Date.now() - this.cached.at < CACHE_MS) return this.cached.result;
    const result = this.check();
    this.cached = { at: Date.now(), result };
    // A failed check is cached too (readiness must not spawn processes on every probe), but never unhandled.
    result.catch(() => undefined);
    return result;
  }

  private async check(): Promise<BackupToolchain> {
    // Its own short connection: a job holding the backup lock must never wait for the owner pool.
    const client = await connectOwner(
      this.endpoints.ownerUrl,
      undefined,
      'inventory-enterprise:backup-check',
    );
    let server: ServerRole;
    try {
      server = await readServerRole(client);
    } finally {
      await client.end();
    }
    const serverMajor = Math.floor(Number(server.versionNum) / 10000);
    const pgDump = await this.version('pg_dump', serverMajor);
    const pgRestore = await this.version('pg_restore', serverMajor);
    if (!server.bypassesRls) {
      throw new BackupPrerequisiteError(
        `the database role ${server.role} is bound by row-level security, so pg_dump cannot read every tenant's rows; ` +
          `give it BYPASSRLS (ALTER ROLE ${server.role} BYPASSRLS) or run backups as a superuser`,
      );
    }
    return {
      pgDump: pgDump.path,
      pgRestore: pgRestore.path,
      pgDumpVersion: pgDump.version,
      serverVersion: server.version,
      serverMajor,
      // A dump works without it; verification and restore do not (they create a database).
      createDatabaseProblem: server.createsDb
        ? undefined
        : `the database role ${server.role} cannot create databases, which verification by restore needs; ` +
          `give it CREATEDB (ALTER ROLE ${server.role} CREATEDB)`,
    };
  }

  private async version(
    tool: 'pg_dump' | 'pg_restore',
    serverMajor: number,
  ): Promise<{ path: string; version: string }> {
    const configured = this.config.get('PG_BIN_DIR', { infer: true });
    const binDir = configured ? resolveProjectPath(configured) : undefined;
    const path = binDir ? join(binDir, tool) : tool;
    const where = binDir ? `in PG_BIN_DIR (${binDir})` : 'on the PATH';
    const install =
      `install the PostgreSQL ${serverMajor} client tools (Debian/Ubuntu: apt-get install postgresql-client-${serverMajor}) ` +
      `or set PG_BIN_DIR to a directory holding pg_dump and pg_restore ${serverMajor} or newer`;
    let output: string;
    try {
      output = (await run(path, ['--version'], { timeout: 10_000 })).stdout.trim();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new BackupPrerequisiteError(
        code === 'ENOENT' || code === 'EACCES'
          ? `${tool} not found ${where}: ${install}`
          : `${tool} --version failed (${(error as Error).message}): ${install}`,
      );
    }
    const major = Number(VERSION.exec(output)?.[1]);
    if (!Number.isInteger(major)) {
      throw new BackupPrerequisiteError(
        `${path} --version printed "${output}", not a PostgreSQL version: ${install}`,
      );
    }
    if (major < serverMajor) {
      throw new BackupPrerequisiteError(
        `${tool} ${where} is version ${major} (${output}), older than the PostgreSQL ${serverMajor} server: ${install}`,
      );
    }
    return { path, version: output };
  }
}
