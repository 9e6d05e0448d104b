import type { MigrationInterface, QueryRunner } from 'typeorm';
import { frozenSql } from './frozen-sql.js';

const FOLDER = '1765600000000-CreateEventFeed';

/**
 * The event feed (GET /api/events; docs/adr/0011-event-feed-in-commit-order.md): event_feed, one row per event
 * with its position in the tenant's commit order, appended at COMMIT by a deferred constraint trigger on
 * outbox_events (append_to_event_feed); event_feed_horizons, the last position the retention job deleted per
 * tenant (a cursor below it is expired). The events already in the outbox join the feed in (created_at, id)
 * order: they are all committed, and CREATE TRIGGER holds off new ones until this commits. Additive: a service
 * built before it writes events as before, and they join the feed.
 */
export class CreateEventFeed1765600000000 implements MigrationInterface {
  name = 'CreateEventFeed1765600000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`CREATE SEQUENCE event_feed_position AS bigint`);
    await q(`
      CREATE TABLE event_feed (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        position bigint NOT NULL,
        event_id uuid NOT NULL,
        committed_at timestamptz NOT NULL,
        PRIMARY KEY (tenant_id, position),
        UNIQUE (tenant_id, event_id),
        FOREIGN KEY (tenant_id, event_id) REFERENCES outbox_events (tenant_id, id)
      )`);
    await q(`CREATE INDEX event_feed_committed ON event_feed (tenant_id, committed_at)`);
    await q(`
      CREATE TABLE event_feed_horizons (
        tenant_id uuid NOT NULL PRIMARY KEY REFERENCES tenants (id),
        deleted_through bigint NOT NULL
      )`);
    for (const table of ['event_feed', 'event_feed_horizons'])
      await queryRunner.query(`SELECT enable_tenant_isolation($1::regclass)`, [table]);
    await q(`GRANT SELECT ON event_feed, event_feed_horizons TO inventory_app`);

    await q(frozenSql(FOLDER, 'append_to_event_feed.sql'));
    await q(frozenSql(FOLDER, 'outbox_events_feed.trigger.sql'));

    // Tenant by tenant, so that it works whether or not the owner bypasses row-level security.
    await q(`
      DO $$
      DECLARE tenant uuid;
      BEGIN
        FOR tenant IN SELECT id FROM tenants LOOP
          PERFORM set_config('app.tenant_id', tenant::text, true);
          INSERT INTO event_feed (tenant_id, position, event_id, committed_at)
          SELECT tenant_id, nextval('event_feed_position'), id, created_at
            FROM (SELECT tenant_id, id, created_at FROM outbox_events
                   WHERE tenant_id = tenant AND type <> 'webhook.test' ORDER BY created_at, id) e;
        END LOOP;
        PERFORM set_config('app.tenant_id', '', true);
      END $$`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`DROP TRIGGER outbox_events_feed ON outbox_events`);
    await q(`DROP FUNCTION append_to_event_feed()`);
    await q(`DROP TABLE event_feed_horizons, event_feed`);
    await q(`DROP SEQUENCE event_feed_position`);
  }
}
