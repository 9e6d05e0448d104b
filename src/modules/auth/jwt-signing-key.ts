import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { resolveProjectPath } from '../../platform/config/project-paths.js';
import { SecretStore } from '../../platform/config/secret-store.js';

export const JWT_SIGNING_KEY = Symbol('JWT_SIGNING_KEY');

/** JWT_SECRET, or (outside production, where it is required) a key generated once into DATA_DIR/secrets. */
export function jwtSigningKey(configured: string | undefined, dataDir: string): string {
  if (configured) return configured;
  return new SecretStore(join(resolveProjectPath(dataDir), 'secrets')).getOrCreate('jwt-secret', () =>
    randomBytes(48).toString('base64url'),
  );
}

/** JWT_EXPIRY (`3600`, `30m`, `24h`, `7d`) in seconds. */
export function expiryInSeconds(expiry: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(expiry);
  if (!match) throw new Error(`invalid JWT_EXPIRY ${expiry}`);
  const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86_400 }[match[2] as '' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
