import { Injectable } from '@nestjs/common';

/**
 * Whether the process is shutting down. main.ts calls `begin()` first thing on SIGTERM/SIGINT, before the HTTP
 * server drains, so `GET /health/ready` answers 503 while in-flight requests finish. It never goes back.
 */
@Injectable()
export class ShutdownState {
  private started = false;
  private readonly listeners: Array<() => void> = [];

  get shuttingDown(): boolean {
    return this.started;
  }

  /** Calls `listener` when the shutdown begins, e.g. to answer long-polling requests so the drain is short. */
  onBegin(listener: () => void): void {
    this.listeners.push(listener);
  }

  begin(): void {
    if (this.started) return;
    this.started = true;
    for (const listener of this.listeners) listener();
  }
}
