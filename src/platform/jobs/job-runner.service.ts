import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { SchedulerRegistry } from '@nestjs/schedule';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { CronJob } from 'cron';
import type { Counter, Gauge } from 'prom-client';
import pg from 'pg';
import type { Environment } from '../config/environment.js';
import { DATABASE_ENDPOINTS } from '../database/database.constants.js';
import type { DatabaseEndpoints } from '../database/database-endpoints.js';
import { JOB_DURATION, JOB_LAST_RUN, JOB_RUNS } from '../observability/metric-names.js';

export type JobOutcome<T> = { ran: true; result: T } | { ran: false; reason: string };

/**
 * Runs a system job at most once at a time across every replica: it takes a PostgreSQL session advisory lock
 * (pg_try_advisory_lock on the job's name) and skips when another replica holds it. Its last run, duration and
 * outcome are metrics. Cron handlers and the CLI commands both go through here; cron ticks through tick(), which
 * also makes a tick run on one replica only.
 */
@Injectable()
export class JobRunner implements OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');
  /** The connection holding this process's schedule locks (see tick()), opened at the first tick. */
  private scheduler?: Promise<pg.Client>;
  /** Jobs whose schedule lock this process holds. */
  private readonly schedules = new Set<string>();

  constructor(
    @Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints,
    private readonly config: ConfigService<Environment, true>,
    private readonly registry: SchedulerRegistry,
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

  /**
   * Registers the cron job `job` (when SCHEDULERS_ENABLED): each tick runs `work` through tick(), so on one
   * replica; a failure is logged at error level and counted, and the next tick tries again.
   */
  schedule(job: string, expression: string, work: () => Promise<unknown>, timeZone?: string): void {
    if (!this.config.get('SCHEDULERS_ENABLED', { infer: true })) return;
    const cron = CronJob.from({
      cronTime: expression,
      ...(timeZone && { timeZone }),
      onTick: () => {
        this.tick(job, work).catch((error: unknown) =>
          this.logger.error(`${job} failed: ${(error as Error).message}`),
        );
      },
      start: true,
    });
    this.registry.addCronJob(job, cron);
    this.logger.log(`${job} scheduled (${expression}${timeZone ? ` ${timeZone}` : ''})`);
  }

  /**
   * A cron tick of `job` (every replica's scheduler fires it at the same moment). The job lock of run() only
   * keeps runs from overlapping: a job that takes milliseconds would run once per replica and tick. So a tick
   * first needs the job's schedule lock, pg_try_advisory_lock(hashtext('schedule:<job>')), on a connection this
   * process keeps open: the first replica to get it runs every tick of the job from then on, the others count the
   * tick as `skipped`. The holder takes it again at each tick (a query on a live connection proves it still holds
   * it); when that connection closes (the process stops or dies, the database restarts) the lock is free and the
   * next tick elects a holder again.
   */
  async tick(job: string, work: () => Promise<unknown>): Promise<void> {
    if (!(await this.holdSchedule(job))) {
      this.runs.inc({ job, outcome: 'skipped' });
      this.logger.log(`${job}: skipped, another replica runs its schedule`);
      return;
    }
    await work();
  }

  async onApplicationShutdown(): Promise<void> {
    const scheduler = this.scheduler;
    this.scheduler = undefined;
    this.schedules.clear();
    await scheduler?.then((client) => client.end()).catch(() => undefined);
  }

  private async holdSchedule(job: string): Promise<boolean> {
    this.scheduler ??= this.connectScheduler();
    const client = await this.scheduler;
    const key = `schedule:${job}`;
    try {
      const {
        rows: [{ locked }],
      } = await client.query<{ locked: boolean }>(`select pg_try_advisory_lock(hashtext($1)) as locked`, [
        key,
      ]);
      // Session advisory locks are re-entrant: keep one hold, not one per tick.
      if (locked && this.schedules.has(job))
        await client.query(`select pg_advisory_unlock(hashtext($1))`, [key]);
      if (locked) this.schedules.add(job);
      return locked;
    } catch (error) {
      // A connection that fails a query is not trusted with the locks: close it, the next tick connects again.
      await client.end().catch(() => undefined);
      throw error;
    }
  }

  private connectScheduler(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.endpoints.ownerUrl,
      application_name: 'inventory-enterprise:scheduler',
      // The schedule locks live as long as this connection: both ends notice a dead peer within about 90 s
      // (a half-open connection would otherwise keep a dead replica's schedules for hours).
      keepAlive: true,
      keepAliveInitialDelayMillis: 60_000,
      options: '-c tcp_keepalives_idle=60 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3',
      query_timeout: 10_000,
    });
    const connecting = client.connect().then(() => client);
    const lost = () => {
      if (this.scheduler !== connecting) return;
      this.scheduler = undefined;
      this.schedules.clear();
    };
    client.on('error', lost);
    client.on('end', lost);
    connecting.catch(lost);
    return connecting;
  }

  private record(job: string, outcome: 'succeeded' | 'failed', started: number): void {
    this.runs.inc({ job, outcome });
    this.lastRun.set({ job, outcome }, Date.now() / 1000);
    this.duration.set({ job }, (Date.now() - started) / 1000);
  }
}
