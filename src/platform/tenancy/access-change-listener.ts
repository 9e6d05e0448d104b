import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import pg from 'pg';
import { DATABASE_ENDPOINTS } from '../database/database.constants.js';
import type { DatabaseEndpoints } from '../database/database-endpoints.js';

const CHANNEL = 'access_changed';
const RECONNECT_DELAY_MS = 1000;

type Listener = (tenantId: string) => void;

/**
 * One dedicated connection that LISTENs on access_changed (sent by triggers on tenants, users, roles, role
 * permissions, user roles and API keys at commit) and tells the caches which tenant changed. While it is not
 * connected, `healthy` is false and the caches are bypassed: a lost notification must never leave a suspended
 * user in.
 */
@Injectable()
export class AccessChangeListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('AccessChanges');
  private readonly listeners: Listener[] = [];
  private client?: pg.Client;
  private connected = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(@Inject(DATABASE_ENDPOINTS) private readonly endpoints: DatabaseEndpoints) {}

  get healthy(): boolean {
    return this.connected;
  }

  onChange(listener: Listener): void {
    this.listeners.push(listener);
  }

  /**
   * This process changed the tenant's access data: tell the local caches at once (call after commit, see
   * TenantTransactions.afterCommit). Other replicas learn it from the NOTIFY the triggers send.
   */
  announce(tenantId: string): void {
    this.emit(tenantId);
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
      if (message.channel === CHANNEL && message.payload) this.emit(message.payload);
    });
    client.on('error', () => this.lost(client));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.client = client;
      this.connected = true;
    } catch (error) {
      this.logger.warn(
        `cannot listen for access changes (${(error as Error).message}); retrying, caches bypassed`,
      );
      await client.end().catch(() => undefined);
      this.schedule();
    }
  }

  private lost(client: pg.Client): void {
    if (client !== this.client) return;
    this.client = undefined;
    this.connected = false;
    // Whatever changed while we were not listening is unknown: every cached entry goes.
    this.emit('*');
    if (!this.stopped) {
      this.logger.warn('access-change listener lost its connection; caches bypassed until it is back');
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    this.retry = setTimeout(() => void this.connect(), RECONNECT_DELAY_MS);
    this.retry.unref();
  }

  private emit(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
