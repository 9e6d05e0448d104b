/** Name of the owner-role DataSource used for migrations and cross-tenant system jobs. */
export const MAINTENANCE_DATA_SOURCE = 'maintenance';

/** The DatabaseEndpoints the module was built with (for connections outside the pools, e.g. LISTEN). */
export const DATABASE_ENDPOINTS = Symbol('DATABASE_ENDPOINTS');
