-- Triggers on outbox_events: webhook fan-out (fan_out_webhook_deliveries).
CREATE TRIGGER outbox_events_fan_out AFTER INSERT ON outbox_events
  REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT
  EXECUTE FUNCTION fan_out_webhook_deliveries();
