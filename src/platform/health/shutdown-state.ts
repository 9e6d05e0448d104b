import { Injectable } from '@nestjs/common';

/**
 * Whether the process is shutting down. main.ts calls `begin()` first thing on SIGTERM/SIGINT, before the HTTP
 * server drains, so `GET /health/ready` answers 503 while in-flight requests finish. It never goes back.
 */
@Injectable()
export class ShutdownState {
  private started = false;

  get shuttingDown(): boolean {
    return this.started;
  }

  begin(): void {
    this.started = true;
  }
}
