import { Injectable } from '@nestjs/common';
import { NotificationListener } from '../database/notification-listener.js';

type Listener = (tenantId: string) => void;

/**
 * Tells the caches which tenant's access changed: NOTIFY access_changed (sent by triggers on tenants, users,
 * roles, role permissions, user roles and API keys at commit) through the NotificationListener. While that is not
 * connected, `healthy` is false and the caches are bypassed: a lost notification must never leave a suspended
 * user in; when it loses its connection every cached entry goes ('*').
 */
@Injectable()
export class AccessChangeListener {
  private readonly listeners: Listener[] = [];

  constructor(private readonly notifications: NotificationListener) {
    notifications.subscribe('access_changed', (tenantId) => this.emit(tenantId));
    notifications.onLost(() => this.emit('*'));
  }

  get healthy(): boolean {
    return this.notifications.healthy;
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

  private emit(tenantId: string): void {
    for (const listener of this.listeners) listener(tenantId);
  }
}
