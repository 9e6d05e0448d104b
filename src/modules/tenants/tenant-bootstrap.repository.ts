import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, QueryRunner } from 'typeorm';
import { MAINTENANCE_DATA_SOURCE } from '../../platform/database/database.constants.js';

/** Held while checking for and creating the first tenant, so replicas starting together create it once. */
const BOOTSTRAP_LOCK_KEY = 7_364_002;

/**
 * The first-start check on the owner connection. The advisory lock belongs to a session, so every statement
 * runs on the one connection the caller holds (`connection()`).
 */
@Injectable()
export class TenantBootstrapRepository {
  constructor(@InjectDataSource(MAINTENANCE_DATA_SOURCE) private readonly owner: DataSource) {}

  /** A dedicated owner connection; the caller connects and releases it. */
  connection(): QueryRunner {
    return this.owner.createQueryRunner();
  }

  /** Waits until no other process is bootstrapping. */
  async lock(connection: QueryRunner): Promise<void> {
    await connection.query('select pg_advisory_lock($1)', [BOOTSTRAP_LOCK_KEY]);
  }

  async unlock(connection: QueryRunner): Promise<void> {
    await connection.query('select pg_advisory_unlock($1)', [BOOTSTRAP_LOCK_KEY]);
  }

  async anyTenantExists(connection: QueryRunner): Promise<boolean> {
    const [{ exists }] = (await connection.query('select exists (select 1 from tenants)')) as [
      { exists: boolean },
    ];
    return exists;
  }
}
