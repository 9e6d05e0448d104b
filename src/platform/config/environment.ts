import { plainToInstance, Transform } from 'class-transformer';
import { validateCronExpression } from 'cron';
import {
  IsBoolean,
  IsEmail,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateBy,
  validateSync,
  type ValidationError,
} from 'class-validator';
import { APP_ROLE } from '../database/database-roles.js';

/** Env values are strings; "true"/"false"/"1"/"0" become booleans, anything else stays and fails IsBoolean. */
function BooleanFromString(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const normalized = value.trim().toLowerCase();
    if (normalized === 'true' || normalized === '1') return true;
    if (normalized === 'false' || normalized === '0') return false;
    return value;
  });
}

function IntegerFromString(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value.trim()) : value,
  );
}

function IsCronExpression(): PropertyDecorator {
  return ValidateBy({
    name: 'isCronExpression',
    validator: {
      validate: (value: unknown) => typeof value === 'string' && validateCronExpression(value).valid,
      defaultMessage: (args) => `${args?.property ?? 'value'} must be a cron expression such as "30 3 * * *"`,
    },
  });
}

const POSTGRES_URL = /^postgres(ql)?:\/\/.+/;
const BYTE_SIZE = /^\d+(b|kb|mb)?$/i;
const DURATION = /^\d+[smhd]?$/;

/**
 * Every environment variable the service reads, with its default. `.env.example` documents the same list;
 * a unit test keeps the two in step.
 */
export class Environment {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @IntegerFromString()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '127.0.0.1';

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent' = 'info';

  /**
   * `auto`: human-readable lines (pino-pretty) when stdout is a terminal and NODE_ENV is development, JSON
   * otherwise (production, tests, CI, pipes, log collectors). `json` or `pretty` force one.
   */
  @IsIn(['auto', 'json', 'pretty'])
  LOG_FORMAT: 'auto' | 'json' | 'pretty' = 'auto';

  /** Comma-separated list of allowed origins; empty disables CORS, `*` allows any origin. */
  @IsString()
  CORS_ORIGIN = '';

  @Matches(BYTE_SIZE, { message: 'BODY_LIMIT must be a size such as 1mb, 512kb or 1048576' })
  BODY_LIMIT = '1mb';

  @BooleanFromString()
  @IsBoolean()
  TRUST_PROXY = false;

  @IntegerFromString()
  @IsInt()
  @Min(0)
  SHUTDOWN_TIMEOUT_MS = 10000;

  /** Directory for local state: generated secrets, backups, the embedded database (relative to the project). */
  @IsString()
  DATA_DIR = './data';

  @IsOptional()
  @Matches(POSTGRES_URL, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsOptional()
  @Matches(POSTGRES_URL, { message: 'DATABASE_APP_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_APP_URL?: string;

  @IsOptional()
  @IsString()
  @MinLength(16)
  @MaxLength(200)
  DATABASE_APP_PASSWORD?: string;

  /**
   * The request pool's connection through a transaction-pooling PgBouncer (docs/scaling.md). Only the
   * request pool uses it: LISTEN, session advisory locks and migrations need a direct session, so the owner
   * pool, the job locks and the listeners keep DATABASE_URL and the app URL. Without a user, the app role's
   * user and password are filled in.
   */
  @IsOptional()
  @Matches(POSTGRES_URL, { message: 'DATABASE_POOLER_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_POOLER_URL?: string;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  @Max(200)
  DATABASE_POOL_SIZE = 10;

  @IntegerFromString()
  @IsInt()
  @Min(0)
  DATABASE_STATEMENT_TIMEOUT_MS = 30000;

  @BooleanFromString()
  @IsBoolean()
  MIGRATIONS_RUN = true;

  @IsString()
  EMBEDDED_PG_DATA_DIR = './data/postgres';

  @IntegerFromString()
  @IsInt()
  @Min(1)
  @Max(65535)
  EMBEDDED_PG_PORT = 54329;

  @IsOptional()
  @IsString()
  @MinLength(32)
  JWT_SECRET?: string;

  @Matches(DURATION, { message: 'JWT_EXPIRY must be a duration such as 3600, 30m, 24h or 7d' })
  JWT_EXPIRY = '24h';

  @IsString()
  @MinLength(1)
  JWT_ISSUER = 'inventory-enterprise';

  @IsEmail({ require_tld: false })
  BOOTSTRAP_ADMIN_EMAIL = 'admin@example.com';

  @IsOptional()
  @IsString()
  @MinLength(12)
  @MaxLength(200)
  BOOTSTRAP_ADMIN_PASSWORD?: string;

  @BooleanFromString()
  @IsBoolean()
  TENANT_SUBDOMAIN_ENABLED = false;

  @IsOptional()
  @Matches(/^[a-z0-9.-]+$/i, { message: 'TENANT_BASE_DOMAIN must be a host name such as example.com' })
  TENANT_BASE_DOMAIN?: string;

  @BooleanFromString()
  @IsBoolean()
  ALLOW_DEFAULT_TENANT = false;

  @IntegerFromString()
  @IsInt()
  @Min(0)
  TENANT_CACHE_TTL_MS = 5000;

  @BooleanFromString()
  @IsBoolean()
  TENANT_REQUEST_METRICS_ENABLED = true;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  THROTTLE_LIMIT = 1000;

  @IntegerFromString()
  @IsInt()
  @Min(1000)
  THROTTLE_TTL_MS = 60000;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  LOGIN_THROTTLE_LIMIT = 10;

  @IntegerFromString()
  @IsInt()
  @Min(1000)
  LOGIN_THROTTLE_TTL_MS = 900000;

  @BooleanFromString()
  @IsBoolean()
  SCHEDULERS_ENABLED = true;

  @IsCronExpression()
  RECONCILE_CRON = '30 3 * * *';

  @IsCronExpression()
  IDEMPOTENCY_CLEANUP_CRON = '17 * * * *';

  @IsCronExpression()
  RESERVATION_EXPIRY_CRON = '* * * * *';

  @IntegerFromString()
  @IsInt()
  @Min(1)
  AUDIT_RETENTION_DAYS = 400;

  @IsCronExpression()
  AUDIT_RETENTION_CRON = '15 4 * * *';

  @IsOptional()
  @IsString()
  @MinLength(32)
  WEBHOOK_SECRET_KEY?: string;

  @BooleanFromString()
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS = false;

  @BooleanFromString()
  @IsBoolean()
  WEBHOOK_DISPATCHER_ENABLED = true;

  @Matches(/^\d+(,\d+)*$/, {
    message: 'WEBHOOK_RETRY_DELAYS must be comma-separated milliseconds, e.g. 1000,5000,25000',
  })
  WEBHOOK_RETRY_DELAYS = '1000,5000,25000';

  @IntegerFromString()
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_CONCURRENCY = 32;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  @Max(256)
  WEBHOOK_ENDPOINT_CONCURRENCY = 16;

  @IntegerFromString()
  @IsInt()
  @Min(1000)
  WEBHOOK_LEASE_MS = 120000;

  @IntegerFromString()
  @IsInt()
  @Min(10)
  WEBHOOK_POLL_INTERVAL_MS = 30000;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  WEBHOOK_DISABLE_AFTER_FAILURES = 50;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  WEBHOOK_RETENTION_DAYS = 30;

  @IsCronExpression()
  WEBHOOK_RETENTION_CRON = '45 4 * * *';

  /** How long the event feed keeps events (GET /api/events; older cursors are 410 cursor-expired). */
  @IntegerFromString()
  @IsInt()
  @Min(1)
  EVENT_RETENTION_DAYS = 30;

  @IsCronExpression()
  EVENT_RETENTION_CRON = '25 4 * * *';

  /**
   * The longest a GET /api/events?wait= request waits (seconds; a longer wait is cut to it): lower it behind a
   * proxy that closes idle requests sooner.
   */
  @IntegerFromString()
  @IsInt()
  @Min(1)
  @Max(30)
  EVENT_FEED_MAX_WAIT_S = 30;

  /** Where backups are written (relative to the project root); keep a copy off this host. */
  @IsString()
  BACKUP_DIR = './data/backups';

  /** Backup, then verification by restore (UTC). */
  @IsCronExpression()
  BACKUP_CRON = '0 2 * * *';

  /** Backup freshness check, then retention (UTC). */
  @IsCronExpression()
  BACKUP_MONITOR_CRON = '0 3 * * *';

  @IntegerFromString()
  @IsInt()
  @Min(1)
  BACKUP_MAX_AGE_HOURS = 25;

  @IntegerFromString()
  @IsInt()
  @Min(1)
  BACKUP_RETENTION_DAYS = 14;

  /** Longest a pg_dump or pg_restore may run before it is killed. */
  @IntegerFromString()
  @IsInt()
  @Min(1000)
  BACKUP_TIMEOUT_MS = 7200000;

  /** Directory holding pg_dump and pg_restore; unset: found on the PATH. */
  @IsOptional()
  @IsString()
  PG_BIN_DIR?: string;

  /** Make /health/ready 503 (not just "degraded") while backups are failing. */
  @BooleanFromString()
  @IsBoolean()
  BACKUP_READINESS_REQUIRED = false;
}

export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/**
 * Parses and validates the environment. Empty strings count as unset (so a copied `.env.example` with blank
 * values keeps the defaults). Throws a ConfigurationError whose message is one line naming every bad variable.
 */
export function parseEnvironment(raw: Record<string, string | undefined>): Environment {
  const known = new Set(Object.keys(new Environment()));
  const present: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value !== undefined && value !== '' && (known.has(key) || key.startsWith('DATABASE_'))) {
      present[key] = value;
    }
  }
  const env = plainToInstance(Environment, present, { exposeDefaultValues: true });
  const errors = validateSync(env, { forbidUnknownValues: true });
  const problems = errors.flatMap((error) => describe(error, present[error.property]));
  if (
    env.NODE_ENV === 'production' &&
    env.DATABASE_URL &&
    !env.DATABASE_APP_URL &&
    !env.DATABASE_APP_PASSWORD
  ) {
    problems.push(
      'DATABASE_APP_PASSWORD (or DATABASE_APP_URL) is required in production when DATABASE_URL is set',
    );
  }
  if (env.DATABASE_POOLER_URL) {
    const problem = poolerUrlProblem(env.DATABASE_POOLER_URL);
    if (problem) problems.push(problem);
  }
  if (env.NODE_ENV === 'production' && !env.JWT_SECRET) {
    problems.push('JWT_SECRET (32+ characters) is required in production');
  }
  if (env.NODE_ENV === 'production' && !env.WEBHOOK_SECRET_KEY) {
    problems.push('WEBHOOK_SECRET_KEY (32+ characters) is required in production');
  }
  if (problems.length > 0) {
    throw new ConfigurationError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return env;
}

/**
 * The request pool must stay the row-level-security-bound app role: an owner role behind the pooler would
 * see every tenant. No user at all is fine (the app role's credentials are filled in).
 */
function poolerUrlProblem(url: string): string | undefined {
  let user: string;
  try {
    user = decodeURIComponent(new URL(url).username);
  } catch {
    return 'DATABASE_POOLER_URL is not a valid URL';
  }
  if (user && user !== APP_ROLE) {
    return `DATABASE_POOLER_URL must connect as ${APP_ROLE} or name no user (got ${JSON.stringify(user)})`;
  }
  return undefined;
}

/** Quotes the value as it was set, before conversion. */
function describe(error: ValidationError, raw: string | undefined): string[] {
  const shown = raw === undefined ? 'nothing' : JSON.stringify(raw);
  return Object.values(error.constraints ?? {}).map((message) => `${message} (got ${shown})`);
}
