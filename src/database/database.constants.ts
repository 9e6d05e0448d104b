/** Name of the owner-role DataSource used for migrations and cross-tenant system jobs. */
export const MAINTENANCE_DATA_SOURCE = 'maintenance';
