export interface ProbeSample {
  at: number;
  ms: number;
  /** 0: no answer. */
  status: number;
}

/** Polls GET /health/ready every 100 ms (each with a 10 s timeout) and keeps every answer. */
export class ReadinessProbe {
  readonly samples: ProbeSample[] = [];
  private stopped = false;
  private loop?: Promise<void>;

  constructor(private readonly url: () => string) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        const started = performance.now();
        let status = 0;
        try {
          const response = await fetch(`${this.url()}/health/ready`, { signal: AbortSignal.timeout(10_000) });
          await response.arrayBuffer();
          status = response.status;
        } catch {
          status = 0;
        }
        this.samples.push({ at: Date.now(), ms: performance.now() - started, status });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  /** The first sample at or after `from` with this status. */
  first(status: number, from: number): ProbeSample | undefined {
    return this.samples.find((sample) => sample.at >= from && sample.status === status);
  }
}
