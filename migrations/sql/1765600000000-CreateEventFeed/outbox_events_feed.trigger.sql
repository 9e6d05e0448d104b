-- The event feed: each event appended at COMMIT, in commit order per tenant (append_to_event_feed).
CREATE CONSTRAINT TRIGGER outbox_events_feed AFTER INSERT ON outbox_events
  DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW WHEN (NEW.type <> 'webhook.test')
  EXECUTE FUNCTION append_to_event_feed();
