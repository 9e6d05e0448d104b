import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { MaintenanceDatabase } from '../../database/maintenance-database.js';
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
    private readonly maintenance: MaintenanceDatabase,
    @InjectMetric(JOB_RUNS) private readonly runs: Counter<'job' | 'outcome'>,
    @InjectMetric(JOB_LAST_RUN) private readonly lastRun: Gauge<'job' | 'outcome'>,
    @InjectMetric(JOB_DURATION) private readonly duration: Gauge<'job'>,
  ) {}

  async run<T>(job: string, work: () => Promise<T>): Promise<JobOutcome<T>> {
    const lock = this.maintenance.owner.createQueryRunner();
    await lock.connect();
    try {
      const [{ locked }] = (await lock.query(`select pg_try_advisory_lock(hashtext($1)) as locked`, [
        `job:${job}`,
      ])) as [{ locked: boolean }];
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
      await lock.release();
    }
  }

  private record(job: string, outcome: 'succeeded' | 'failed', started: number): void {
    this.runs.inc({ job, outcome });
    this.lastRun.set({ job, outcome }, Date.now() / 1000);
    this.duration.set({ job }, (Date.now() - started) / 1000);
  }
}
