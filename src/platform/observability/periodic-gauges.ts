import { Logger } from '@nestjs/common';

/**
 * Gauges refreshed from the database on a timer in every process (the webhook queue, availability): `read` now
 * and then every `intervalMs`, `apply` sets the gauges. A failed read keeps the previous values and is logged
 * as a warning; the timer does not keep the process alive.
 */
export class PeriodicGauges<Figures> {
  private readonly logger: Logger;
  private timer?: NodeJS.Timeout;

  constructor(
    name: string,
    private readonly intervalMs: number,
    private readonly read: () => Promise<Figures>,
    private readonly apply: (figures: Figures) => void,
  ) {
    this.logger = new Logger(name);
  }

  start(): void {
    void this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Returns the figures it set (for tests), or undefined when the read failed. */
  async refresh(): Promise<Figures | undefined> {
    try {
      const figures = await this.read();
      this.apply(figures);
      return figures;
    } catch (error) {
      this.logger.warn(`cannot refresh the gauges: ${(error as Error).message}`);
      return undefined;
    }
  }
}
