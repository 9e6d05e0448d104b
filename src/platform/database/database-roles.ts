/**
 * The request path connects as this role: NOSUPERUSER NOBYPASSRLS with DML grants only, so row-level
 * security applies to every statement it runs. Migrations and maintenance jobs use the owner role
 * (the user of DATABASE_URL, or the embedded superuser).
 */
export const APP_ROLE = 'inventory_app';
