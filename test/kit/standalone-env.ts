/** The platform administrator every service on a database the kit started bootstraps (tenant `default`). */
export const PLATFORM_ADMIN = {
  email: 'platform-admin@example.com',
  password: 'kit-platform-admin-password',
};

/** The app role's password on a database the kit started. */
export const STANDALONE_APP_PASSWORD = 'kit-app-role-password-0123456789';

/**
 * What every service process (and CLI run) on a database the kit started gets, whatever else it sets: secrets,
 * the bootstrap administrator, the app role's password, and no request throttling (load is the point).
 */
export const STANDALONE_ENV: Readonly<Record<string, string>> = {
  JWT_SECRET: 'kit-jwt-secret-0123456789abcdefghijklmnop',
  WEBHOOK_SECRET_KEY: 'kit-webhook-secret-key-0123456789abcdef',
  DATABASE_APP_PASSWORD: STANDALONE_APP_PASSWORD,
  BOOTSTRAP_ADMIN_EMAIL: PLATFORM_ADMIN.email,
  BOOTSTRAP_ADMIN_PASSWORD: PLATFORM_ADMIN.password,
  THROTTLE_LIMIT: '1000000000',
};
