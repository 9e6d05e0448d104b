-- Triggers on outbox_events: webhook fan-out (fan_out_webhook_deliveries) and the event feed.
CREATE TRIGGER outbox_events_fan_out AFTER INSERT ON outbox_events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT
  EXECUTE FUNCTION fan_out_webhook_deliveries();
-- The event feed: each event appended at COMMIT, in commit order per tenant (append_to_event_feed).
CREATE CONSTRAINT TRIGGER outbox_events_feed AFTER INSERT ON outbox_events
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.type <> 'webhook.test')
  EXECUTE FUNCTION append_to_event_feed();
