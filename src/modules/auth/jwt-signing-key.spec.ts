import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expiryInSeconds, jwtSigningKey } from './jwt-signing-key.js';

describe('JWT signing key and expiry', () => {
  it.each([
    ['3600', 3600],
    ['45s', 45],
    ['30m', 1800],
    ['24h', 86_400],
    ['7d', 604_800],
  ])('reads JWT_EXPIRY %s as %d seconds', (expiry, seconds) => {
    expect(expiryInSeconds(expiry)).toBe(seconds);
  });

  it('uses JWT_SECRET when set', () => {
    expect(jwtSigningKey('x'.repeat(40), '/nonexistent')).toBe('x'.repeat(40));
  });

  it('otherwise generates a key once into DATA_DIR/secrets (0600) and reuses it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jwt-key-'));
    const first = jwtSigningKey(undefined, dataDir);
    expect(first.length).toBeGreaterThanOrEqual(64);
    expect(jwtSigningKey(undefined, dataDir)).toBe(first);
    const file = join(dataDir, 'secrets', 'jwt-secret');
    expect(readFileSync(file, 'utf8').trim()).toBe(first);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
