import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
import { DATABASE_ENDPOINTS } from './database.constants.js';
import type { DatabaseEndpoints } from './database-endpoints.js';

const RECONNECT_DELAY_MS = 1000;
const CHANNEL_NAME = /^[a-z_]+$/;

type Handler = (payload: string) => void;

/**
 * One dedicated connection (the app role, never a transaction pooler: LISTEN needs a session) that LISTENs on
 * every channel a part of the service subscribed to and hands each notification's payload to that channel's
 * handlers (NOTIFY is sent by triggers and functions at commit). While it is not connected `healthy` is false;
 * when it loses its connection the `onLost` handlers run (what was notified meanwhile is unknown) and it
 * connects again every second until the database answers.
 */
@Injectable()
export class NotificationListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Notifications');
  private readonly handlers = new Map<string, Handler[]>();
  private readonly lostHandlers: Array<() => void> = [];
  private client?: pg.Client;
  private connected = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(@Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints) {}

  get healthy(): boolean {
    return this.connected;
  }

  /** Calls `handler` with the payload of every notification on `channel` from now on. */
  subscribe(channel: string, handler: Handler): void {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`not a channel name: ${channel}`);
    const handlers = this.handlers.get(channel);
    if (handlers) {
      handlers.push(handler);
      return;
    }
    this.handlers.set(channel, [handler]);
    const client = this.client;
    if (client) void client.query(`LISTEN ${channel}`).catch(() => this.lost(client));
  }

  /** Calls `handler` each time the connection is lost. */
  onLost(handler: () => void): void {
    this.lostHandlers.push(handler);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.connected = false;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.endpoints.appUrl,
      application_name: 'inventory-enterprise:listen',
    });
    client.on('notification', (message) => {
      if (message.payload === undefined) return;
      for (const handler of this.handlers.get(message.channel) ?? []) handler(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.handlers.keys()) await client.query(`LISTEN ${channel}`);
      this.client = client;
      this.connected = true;
    } catch (error) {
      this.logger.warn(`cannot listen for notifications (${(error as Error).message}); retrying`);
      await client.end().catch(() => undefined);
      this.schedule();
    }
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.connected = false;
    for (const handler of this.lostHandlers) handler();
    if (!this.stopped) {
      this.logger.warn('the notification listener lost its connection; connecting again');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    this.retry.unref();
  }
}
