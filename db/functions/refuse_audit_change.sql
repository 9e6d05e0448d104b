-- audit_logs is append-only: UPDATE, DELETE and TRUNCATE are refused for everyone (SQLSTATE IEA02 -> 409
-- audit-append-only), except DELETE by the retention job, which declares itself with app.audit_retention.
CREATE OR REPLACE FUNCTION refuse_audit_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('app.audit_retention', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = 'IEA02';
END
$function$;
