import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { runTool, type ToolRun } from './pg-tool-process.js';

/**
 * The pg_dump/pg_restore children and background backups of this process. On shutdown (before the pools
 * close) the children are stopped and the background work is awaited, so an interrupted backup is recorded as
 * failed and no dump keeps running against a server the process no longer watches.
 */
@Injectable()
export class BackupProcesses implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Backups');
  private readonly work = new Set<Promise<unknown>>();
  private readonly shutdown = new AbortController();
  private running = 0;

  async run(run: ToolRun): Promise<void> {
    this.running += 1;
    try {
      await runTool({
        ...run,
        signal: run.signal ? AbortSignal.any([run.signal, this.shutdown.signal]) : this.shutdown.signal,
      });
    } finally {
      this.running -= 1;
    }
  }

  /** Work that outlives the request that started it (POST /api/backups answers 202 before the dump ends). */
  background(work: Promise<unknown>): void {
    const tracked = work.finally(() => this.work.delete(tracked));
    this.work.add(tracked);
    // Failures were recorded in the catalogue and logged by the work itself.
    tracked.catch(() => undefined);
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.running > 0) {
      this.logger.warn(`shutting down: stopping ${this.running} running pg_dump/pg_restore process(es)`);
    }
    this.shutdown.abort(new Error('the service is shutting down'));
    await Promise.allSettled([...this.work]);
  }
}
