import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceiverOptions {
  /** Answer after this many ms (0 to maxDelayMs, random), so that some deliveries are in flight at a fault. */
  maxDelayMs?: number;
  /** Answer 500 to the first request of the events this picks (forces a retry of exactly those). */
  failFirstAttempt?: (webhookId: string) => boolean;
}

/**
 * A webhook receiver on 127.0.0.1: counts every request per webhook-id (the event id, the same on every attempt)
 * and remembers the movement of each movement.posted and inventory.updated event.
 */
export class WebhookReceiver {
  readonly requests = new Map<string, number>();
  /** webhook-id -> event type, of events answered 2xx. */
  readonly delivered = new Map<string, string>();
  readonly postedMovements = new Set<string>();
  readonly updatedMovements = new Set<string>();
  total = 0;
  url = '';
  private server?: Server;

  constructor(private readonly options: ReceiverOptions = {}) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        const id = String(request.headers['webhook-id']);
        const seen = this.requests.get(id) ?? 0;
        this.requests.set(id, seen + 1);
        this.total += 1;
        const fail = seen === 0 && (this.options.failFirstAttempt?.(id) ?? false);
        const answer = () => {
          if (fail) {
            response.statusCode = 500;
            response.end('try again');
            return;
          }
          const event = JSON.parse(body) as { type: string; data: { id?: string; movementId?: string } };
          this.delivered.set(id, event.type);
          if (event.type === 'movement.posted' && event.data.id) this.postedMovements.add(event.data.id);
          if (event.type === 'inventory.updated' && event.data.movementId)
            this.updatedMovements.add(event.data.movementId);
          response.end('ok');
        };
        const delay = Math.floor(Math.random() * ((this.options.maxDelayMs ?? 0) + 1));
        if (delay > 0) setTimeout(answer, delay).unref();
        else answer();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** webhook-ids received more than once (resends after a crash are allowed: at-least-once). */
  repeated(): number {
    let repeated = 0;
    for (const count of this.requests.values()) if (count > 1) repeated += count - 1;
    return repeated;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
