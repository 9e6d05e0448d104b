import { Injectable } from '@nestjs/common';
import type pg from 'pg';

/**
 * The databases a backup is restored into (the scratch copy of a verification, or restore:backup's new
 * database), created and dropped on the same server through the job's own connection (`control`).
 */
@Injectable()
export class RestoreDatabasesRepository {
  async exists(control: pg.Client, name: string): Promise<boolean> {
    const { rows } = await control.query(`select 1 from pg_database where datname = $1`, [name]);
    return rows.length > 0;
  }

  /** From template0: a restore needs an empty database, whatever template1 holds. */
  async create(control: pg.Client, name: string): Promise<void> {
    await control.query(`create database ${control.escapeIdentifier(name)} template template0`);
  }

  /** `with (force)`: a backend left connected (a crashed verification's) must not keep it alive. */
  async dropIfExists(control: pg.Client, name: string): Promise<void> {
    await control.query(`drop database if exists ${control.escapeIdentifier(name)} with (force)`);
  }
}
