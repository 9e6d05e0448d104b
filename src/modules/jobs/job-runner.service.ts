import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import pg from 'pg';
import { DATABASE_ENDPOINTS } from '../../database/database.constants.js';
import type { DatabaseEndpoints } from '../../database/database-endpoints.js';
import { JOB_DURATION, JOB_LAST_RUN, JOB_RUNS } from '../metrics/metric-names.js';

export type JobOutcome<T> = { ran: true; result: T } | { ran: false; reason: string };

/**
 * Runs a system job at most once at a time across every replica: it takes a PostgreSQL session advisory lock
 * (pg_try_advisory_lock on the job's name) and skips when another replica holds it. Its last run, duration and
 * outcome are metrics. Cron handlers and the CLI commands both go through here.
 */
@Injectable()
export class JobRunner {
  private readonly logger = new Logger('Jobs');

  constructor(
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    @InjectMetric(JOB_RUNS) private readonly runs: Counter<'job' | 'outcome'>,
    @InjectMetric(JOB_LAST_RUN) private readonly lastRun: Gauge<'job' | 'outcome'>,
    @InjectMetric(JOB_DURATION) private readonly duration: Gauge<'job'>,
  ) {}

  async run<T>(job: string, work: () => Promise<T>): Promise<JobOutcome<T>> {
    // The session lock lives on its own connection, not one of the owner pool's: a job holds its lock for the
    // whole run while its work needs pool connections, and jobs holding every pool connection for their locks
    // would wait on each other forever.
    const lock = new pg.Client({ connectionString: this.endpoints.ownerUrl, application_name: `job:${job}` });
    await lock.connect();
    try {
      const {
        rows: [{ locked }],
      } = await lock.query<{ locked: boolean }>(`select pg_try_advisory_lock(hashtext($1)) as locked`, [
        `job:${job}`,
      ]);
      if (!locked) {
        this.runs.inc({ job, outcome: 'skipped' });
        this.logger.log(`${job}: skipped, another replica is running it`);
        return { ran: false, reason: 'another replica is running it' };
      }
      const started = Date.now();
      try {
        const result = await work();
        this.record(job, 'succeeded', started);
        return { ran: true, result };
      } catch (error) {
        this.record(job, 'failed', started);
        this.logger.error(`${job} failed: ${(error as Error).message}`);
        throw error;
      } finally {
        await lock.query(`select pg_advisory_unlock(hashtext($1))`, [`job:${job}`]).catch(() => undefined);
      }
    } finally {
      await lock.end();
    }
  }

  private record(job: string, outcome: 'succeeded' | 'failed', started: number): void {
    this.runs.inc({ job, outcome });
    this.lastRun.set({ job, outcome }, Date.now() / 1000);
    this.duration.set({ job }, (Date.now() - started) / 1000);
  }
}
