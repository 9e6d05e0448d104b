import { Injectable } from '@nestjs/common';
import type { QueryRunner } from 'typeorm';
import { TenantTransactions } from '../../platform/tenancy/tenant-transactions.js';
import type { FeedEventView } from './dto/event-feed.dto.js';

/** What one read of the feed saw, in one snapshot. */
export interface FeedRead {
  events: Array<FeedEventView & { position: string }>;
  /** The highest position of the tenant visible to the read (null: the feed is empty). */
  head: string | null;
  /** The last position retention deleted (null: none). */
  horizon: string | null;
}

/**
 * The feed's statements. event_feed holds each event's position in its tenant's commit order, written at
 * COMMIT by db/functions/append_to_event_feed.sql (docs/adr/0011-event-feed-in-commit-order.md); reads run in
 * a short tenant transaction each (the route waits between them), the retention on the maintenance connection.
 */
@Injectable()
export class EventFeedRepository {
  constructor(private readonly tx: TenantTransactions) {}

  /**
   * The events after `after` (of these types), in position order, with the head and the horizon, in one
   * statement: one snapshot, so that "nothing up to head" holds for what it returns.
   */
  read(tenantId: string, after: string, types: string[] | null, limit: number): Promise<FeedRead> {
    return this.tx.run(async () => {
      const [row] = await this.tx.manager.query<[FeedRead]>(
        `with page as (
           select f.position, e.id, e.type, e.created_at, e.payload
             from event_feed f
             join outbox_events e on e.tenant_id = f.tenant_id and e.id = f.event_id
            where f.tenant_id = $1 and f.position > $2::bigint and ($3::text[] is null or e.type = any($3::text[]))
            order by f.position
            limit $4
         )
         select coalesce((select jsonb_agg(jsonb_build_object(
                            'position', position::text, 'id', id, 'type', type,
                            'createdAt', to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
                            'data', payload) order by position) from page), '[]'::jsonb) as events,
                (select max(position)::text from event_feed where tenant_id = $1) as head,
                (select deleted_through::text from event_feed_horizons where tenant_id = $1) as horizon`,
        [tenantId, after, types, limit],
      );
      return row;
    });
  }

  /**
   * Deletes the tenant's feed entries committed more than `days` ago, records the last position deleted as the
   * horizon (a cursor below it has lost events), then the outbox events of that age that neither the feed nor a
   * webhook delivery refers to; returns how many feed entries went.
   */
  async deleteOlderThan(runner: QueryRunner, tenantId: string, days: number): Promise<number> {
    const [{ deleted }] = (await runner.query(
      `with gone as (
         delete from event_feed
          where tenant_id = $1 and committed_at < now() - make_interval(days => $2)
         returning position
       ), horizon as (
         insert into event_feed_horizons (tenant_id, deleted_through)
         select $1, max(position) from gone having count(*) > 0
         on conflict (tenant_id) do update
           set deleted_through = greatest(event_feed_horizons.deleted_through, excluded.deleted_through)
       )
       select count(*)::int as deleted from gone`,
      [tenantId, days],
    )) as [{ deleted: number }];
    await runner.query(
      `delete from outbox_events e
        where e.tenant_id = $1 and e.created_at < now() - make_interval(days => $2)
          and not exists (select 1 from event_feed f where f.tenant_id = e.tenant_id and f.event_id = e.id)
          and not exists (select 1 from webhook_deliveries d where d.tenant_id = e.tenant_id and d.event_id = e.id)`,
      [tenantId, days],
    );
    return deleted;
  }
}
