-- inventory_ledger is append-only: UPDATE, DELETE and TRUNCATE are refused for everyone (SQLSTATE IEA01).
CREATE OR REPLACE FUNCTION refuse_ledger_change()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
BEGIN
  RAISE EXCEPTION 'inventory_ledger is append-only: post a correcting movement instead'
    USING ERRCODE = 'IEA01';
END
$function$;
