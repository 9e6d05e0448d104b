import { Injectable, type OnApplicationShutdown, Optional } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Environment } from '../../platform/config/environment.js';
import { NotificationListener } from '../../platform/database/notification-listener.js';
import { ShutdownState } from '../../platform/health/shutdown-state.js';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import { TenantContext } from '../../platform/tenancy/tenant-context.js';
import type { EventFeedPageView, EventFeedQueryDto } from './dto/event-feed.dto.js';
import { decodeFeedCursor, encodeFeedCursor } from './event-feed-cursor.js';
import { EventFeedRepository, type FeedRead } from './event-feed.repository.js';

/** While no notification can arrive (the listener is reconnecting), a waiting reader reads again this often. */
const POLL_WITHOUT_NOTIFICATIONS_MS = 500;

/**
 * GET /api/events: the tenant's events in commit order after a cursor. With `wait`, a reader that finds nothing
 * waits for NOTIFY event_feed of its tenant (sent at commit by append_to_event_feed) and reads again; it is armed
 * before each read, so an event that commits between the read and the wait still wakes it. Reads are short
 * transactions of their own: a waiting reader holds no database connection.
 */
@Injectable()
export class EventFeedService implements OnApplicationShutdown {
  private readonly wakers = new Map<string, Set<() => void>>();
  private stopping = false;

  constructor(
    private readonly feed: EventFeedRepository,
    private readonly context: TenantContext,
    private readonly notifications: NotificationListener,
    private readonly config: ConfigService<Environment, true>,
    // Absent in the CLI, which serves no requests.
    @Optional() shutdown?: ShutdownState,
  ) {
    notifications.subscribe('event_feed', (tenantId) => this.wake(tenantId));
    shutdown?.onBegin(() => this.stop());
  }

  onApplicationShutdown(): void {
    this.stop();
  }

  /** Readers that wait answer at once when the service stops, so that the HTTP drain does not wait for them. */
  private stop(): void {
    this.stopping = true;
    for (const tenantId of [...this.wakers.keys()]) this.wake(tenantId);
  }

  async read(query: EventFeedQueryDto, closed: AbortSignal): Promise<EventFeedPageView> {
    const tenantId = this.context.tenantId;
    const after = decodeFeedCursor(query.after);
    const wait = Math.min(query.wait, this.config.get('EVENT_FEED_MAX_WAIT_S', { infer: true }));
    const deadline = Date.now() + wait * 1000;
    for (;;) {
      const woken = this.arm(tenantId);
      try {
        const read = await this.feed.read(tenantId, after, query.types ?? null, query.limit);
        if (query.after !== undefined && read.horizon !== null && BigInt(after) < BigInt(read.horizon))
          throw new DomainException(
            'cursor-expired',
            'events after this cursor were deleted by retention (EVENT_RETENTION_DAYS); read again without after',
          );
        const remaining = deadline - Date.now();
        if (read.events.length > 0 || remaining <= 0 || closed.aborted || this.stopping)
          return page(read, after, query.limit);
        const pause = this.notifications.healthy
          ? remaining
          : Math.min(remaining, POLL_WITHOUT_NOTIFICATIONS_MS);
        await Promise.race([
          woken.settled,
          sleep(pause, undefined, { signal: closed }).catch(() => undefined),
        ]);
      } finally {
        woken.cancel();
      }
    }
  }

  private arm(tenantId: string): { settled: Promise<void>; cancel: () => void } {
    let resolve!: () => void;
    const settled = new Promise<void>((done) => (resolve = done));
    const wakers = this.wakers.get(tenantId) ?? new Set<() => void>();
    this.wakers.set(tenantId, wakers);
    wakers.add(resolve);
    return {
      settled,
      cancel: () => {
        wakers.delete(resolve);
        if (wakers.size === 0 && this.wakers.get(tenantId) === wakers) this.wakers.delete(tenantId);
        resolve();
      },
    };
  }

  private wake(tenantId: string): void {
    const wakers = this.wakers.get(tenantId);
    if (!wakers) return;
    this.wakers.delete(tenantId);
    for (const resolve of wakers) resolve();
  }
}

/**
 * The answer: the events, and where to continue. Fewer than `limit` events means the read saw everything up to
 * the head of the feed (one snapshot), and no later commit can take a lower position, so the cursor moves to
 * the head even past events the types filter left out.
 */
function page(read: FeedRead, after: string, limit: number): EventFeedPageView {
  const data = read.events.map(({ position: _position, ...event }) => event);
  const last = read.events.at(-1)?.position;
  let next = after;
  if (read.events.length === limit && last !== undefined) next = last;
  else if (read.head !== null && BigInt(read.head) > BigInt(after)) next = read.head;
  return { data, nextCursor: encodeFeedCursor(next) };
}
