-- The current status, platform flag and permissions of a user, in one statement (the access guard's principal
-- lookup on a cache miss, docs/adr/0008-tenant-context-and-principal-lookup.md).
CREATE OR REPLACE FUNCTION auth_user(p_tenant uuid, p_user uuid)
 RETURNS TABLE(status text, platform_admin boolean, permissions text[])
 LANGUAGE plpgsql
AS $function$
#variable_conflict use_column
BEGIN
  -- Meant to run as a statement of its own; inside a transaction of another tenant enter_tenant refuses.
  PERFORM enter_tenant(p_tenant, NULL);
  RETURN QUERY
    SELECT u.status, u.platform_admin,
           array(SELECT DISTINCT rp.permission
                   FROM user_roles ur
                   JOIN role_permissions rp ON rp.tenant_id = ur.tenant_id AND rp.role_id = ur.role_id
                  WHERE ur.tenant_id = u.tenant_id AND ur.user_id = u.id
                  ORDER BY 1)
      FROM users u
     WHERE u.tenant_id = p_tenant AND u.id = p_user;
END
$function$;

GRANT EXECUTE ON FUNCTION auth_user(uuid, uuid) TO inventory_app;
