-- The event feed's order (GET /api/events; docs/adr/0011-event-feed-in-commit-order.md). A deferred constraint
-- trigger on outbox_events runs this at COMMIT, once per event of the transaction: it appends the event to
-- event_feed with a position from the sequence event_feed_position, under a transaction-scoped advisory lock of
-- the event's tenant. That lock is released only when the transaction has ended, after its commit became
-- visible, so the next transaction of the tenant takes its positions after that: per tenant, positions increase
-- in commit order, and a reader that has seen position p never sees a lower position commit later. (An id or an
-- xid, assigned at insert, does not: the transaction that inserted first can commit last.) Then NOTIFY event_feed
-- with the tenant id, delivered at commit, wakes the readers that wait.
-- webhook.test is one endpoint's ping, not an event of the tenant: it is not in the feed.
-- SECURITY DEFINER: the feed is written here only (the app role reads it).
CREATE OR REPLACE FUNCTION append_to_event_feed()
 RETURNS trigger
 LANGUAGE plpgsql
 SECURITY DEFINER
 SET search_path TO 'public', 'pg_temp'
AS $function$
BEGIN
  -- Two-key advisory locks are a key space apart from the one-key locks of the jobs and the migrations.
  PERFORM pg_advisory_xact_lock(1701209701, hashtext(NEW.tenant_id::text));
  INSERT INTO event_feed (tenant_id, position, event_id, committed_at)
  VALUES (NEW.tenant_id, nextval('event_feed_position'), NEW.id, clock_timestamp());
  PERFORM pg_notify('event_feed', NEW.tenant_id::text);
  RETURN NULL;
END
$function$;
