import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Webhook endpoints, deliveries and attempts. Fan-out is done by the database: a statement-level trigger on
 * outbox_events inserts one delivery per matching active endpoint of the event's tenant, in the transaction that
 * wrote the event, so no event is fanned out twice or skipped, whatever crashes when (exactly-once by
 * construction). It then NOTIFYs webhook_deliveries with the tenant id, so dispatchers wake at commit.
 */
export class CreateWebhooks1764700000000 implements MigrationInterface {
  name = 'CreateWebhooks1764700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const q = (sql: string) => queryRunner.query(sql);
    await q(`
      CREATE TABLE webhook_endpoints (
        tenant_id uuid NOT NULL REFERENCES tenants (id),
        id uuid NOT NULL,
        name text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
        url text NOT NULL CHECK (length(url) <= 2000),
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        headers jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(headers) = 'object'),
        retry_count integer NOT NULL CHECK (retry_count BETWEEN 0 AND 10),
        timeout_ms integer NOT NULL CHECK (timeout_ms BETWEEN 100 AND 30000),
        status text NOT NULL CHECK (status IN ('active', 'disabled')),
        disabled_reason text,
        secret_encrypted text NOT NULL,
        previous_secret_encrypted text,
        previous_secret_expires_at timestamptz,
        last_success_at timestamptz,
        last_failure_at timestamptz,
        failure_count integer NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      )`);
    await q(`CREATE INDEX webhook_endpoints_created ON webhook_endpoints (tenant_id, created_at)`);
    await q(`
      CREATE TABLE webhook_deliveries (
        tenant_id uuid NOT NULL,
        id uuid NOT NULL DEFAULT gen_random_uuid(),
        endpoint_id uuid NOT NULL,
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'success', 'failed', 'dlq')),
        attempts integer NOT NULL DEFAULT 0,
        http_status integer,
        error text,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        created_at timestamptz NOT NULL DEFAULT now(),
        completed_at timestamptz,
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, endpoint_id, event_id),
        FOREIGN KEY (tenant_id, endpoint_id) REFERENCES webhook_endpoints (tenant_id, id) ON DELETE CASCADE,
        FOREIGN KEY (tenant_id, event_id) REFERENCES outbox_events (tenant_id, id)
      )`);
    await q(
      `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending'`,
    );
    await q(
      `CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (tenant_id, endpoint_id, created_at)`,
    );
    await q(`
      CREATE TABLE webhook_attempts (
        tenant_id uuid NOT NULL,
        id bigint GENERATED ALWAYS AS IDENTITY,
        delivery_id uuid NOT NULL,
        attempt integer NOT NULL,
        started_at timestamptz NOT NULL,
        duration_ms integer,
        http_status integer,
        error text,
        response_body text CHECK (length(response_body) <= 4096),
        PRIMARY KEY (tenant_id, id),
        UNIQUE (tenant_id, delivery_id, attempt),
        FOREIGN KEY (tenant_id, delivery_id) REFERENCES webhook_deliveries (tenant_id, id) ON DELETE CASCADE
      )`);
    for (const table of ['webhook_endpoints', 'webhook_deliveries', 'webhook_attempts']) {
      await queryRunner.query(`SELECT enable_tenant_isolation($1::regclass)`, [table]);
    }

    // SECURITY DEFINER: deliveries are created only here (and updated by the dispatcher), never by a request.
    await q(`
      CREATE FUNCTION fan_out_webhook_deliveries() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
      DECLARE
        created_count bigint;
      BEGIN
        -- The notification names the tenant: a dispatcher can work on that tenant's queue under row-level
        -- security (transaction-local app.tenant_id) without scanning every tenant.
        WITH created AS (
          INSERT INTO webhook_deliveries (tenant_id, endpoint_id, event_id, event_type)
          SELECT e.tenant_id, w.id, e.id, e.type
            FROM new_events e
            JOIN webhook_endpoints w
              ON w.tenant_id = e.tenant_id AND w.status = 'active'
             AND CASE WHEN e.type = 'webhook.test' THEN w.id = (e.payload ->> 'endpointId')::uuid
                      ELSE '*' = ANY (w.events) OR e.type = ANY (w.events) END
          ON CONFLICT DO NOTHING
          RETURNING tenant_id
        )
        SELECT count(pg_notify('webhook_deliveries', tenant_id::text)) INTO STRICT created_count
          FROM (SELECT DISTINCT tenant_id FROM created) t;
        RETURN NULL;
      END $$`);
    await q(`
      CREATE TRIGGER outbox_events_fan_out AFTER INSERT ON outbox_events
        REFERENCING NEW TABLE AS new_events
        FOR EACH STATEMENT EXECUTE FUNCTION fan_out_webhook_deliveries()`);

    await q(`GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_endpoints TO inventory_app`);
    await q(`GRANT SELECT, UPDATE ON webhook_deliveries TO inventory_app`);
    await q(`GRANT SELECT, INSERT ON webhook_attempts TO inventory_app`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TRIGGER outbox_events_fan_out ON outbox_events`);
    await queryRunner.query(`DROP FUNCTION fan_out_webhook_deliveries()`);
    await queryRunner.query(`DROP TABLE webhook_attempts, webhook_deliveries, webhook_endpoints`);
  }
}
