-- Keeps reservation_lines.expires_at equal to its reservation's (db/triggers/reservations.sql): the lines carry
-- a copy so that the index on open lines finds a position's expired, not yet marked quantity without a join
-- (stock_availability, key_reserved).
CREATE OR REPLACE FUNCTION copy_reservation_expiry()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  UPDATE reservation_lines SET expires_at = NEW.expires_at
   WHERE tenant_id = NEW.tenant_id AND reservation_id = NEW.id;
  RETURN NULL;
END
$function$;
