import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, Environment, parseEnvironment } from './environment.js';
import { projectRoot } from './project-paths.js';

describe('parseEnvironment', () => {
  it('applies the documented defaults to an empty environment', () => {
    const sut = parseEnvironment({});
    expect(sut).toMatchObject({
      NODE_ENV: 'development',
      PORT: 3000,
      MIGRATIONS_RUN: true,
      EMBEDDED_PG_PORT: 54329,
      BODY_LIMIT: '1mb',
    });
    expect(sut.DATABASE_URL).toBeUndefined();
  });

  it('converts numbers and booleans from their string form', () => {
    const sut = parseEnvironment({ PORT: '8080', MIGRATIONS_RUN: 'false', TRUST_PROXY: '1' });
    expect(sut.PORT).toBe(8080);
    expect(sut.MIGRATIONS_RUN).toBe(false);
    expect(sut.TRUST_PROXY).toBe(true);
  });

  it('treats empty strings as unset', () => {
    expect(parseEnvironment({ PORT: '', DATABASE_URL: '' })).toMatchObject({
      PORT: 3000,
      DATABASE_URL: undefined,
    });
  });

  it.each([
    ['PORT', 'abc'],
    ['PORT', '70000'],
    ['MIGRATIONS_RUN', 'maybe'],
    ['NODE_ENV', 'staging'],
    ['DATABASE_URL', 'mysql://x'],
    ['BODY_LIMIT', 'huge'],
    ['DATABASE_APP_PASSWORD', 'short'],
  ])('rejects %s=%s with one line naming the variable', (name, value) => {
    let error: unknown;
    try {
      parseEnvironment({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigurationError);
    const message = (error as Error).message;
    expect(message).toContain(name);
    expect(message).toContain(JSON.stringify(value));
    expect(message).not.toContain('\n');
  });

  it('names every bad variable at once', () => {
    expect(() => parseEnvironment({ PORT: 'x', LOG_LEVEL: 'loud' })).toThrow(
      /PORT.*LOG_LEVEL|LOG_LEVEL.*PORT/,
    );
  });

  it('requires explicit app-role credentials in production with an external database', () => {
    expect(() => parseEnvironment({ NODE_ENV: 'production', DATABASE_URL: 'postgres://u:p@db/x' })).toThrow(
      /DATABASE_APP_PASSWORD/,
    );
    expect(
      parseEnvironment({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u:p@db/x',
        DATABASE_APP_PASSWORD: 'a-long-enough-password',
        JWT_SECRET: 'x'.repeat(32),
        WEBHOOK_SECRET_KEY: 'y'.repeat(32),
      }).NODE_ENV,
    ).toBe('production');
  });

  it('requires a JWT_SECRET of 32+ characters in production, and only there', () => {
    const database = {
      DATABASE_URL: 'postgres://u:p@db/x',
      DATABASE_APP_PASSWORD: 'a-long-enough-password',
      WEBHOOK_SECRET_KEY: 'y'.repeat(32),
    };
    expect(() => parseEnvironment({ NODE_ENV: 'production', ...database })).toThrow(/JWT_SECRET.*required/);
    expect(() => parseEnvironment({ NODE_ENV: 'production', ...database, JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be longer than or equal to 32 characters/,
    );
    expect(parseEnvironment({ NODE_ENV: 'development' }).JWT_SECRET).toBeUndefined();
  });

  it('requires WEBHOOK_SECRET_KEY in production', () => {
    expect(() =>
      parseEnvironment({
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://u:p@db/x',
        DATABASE_APP_PASSWORD: 'a-long-enough-password',
        JWT_SECRET: 'x'.repeat(32),
      }),
    ).toThrow(/WEBHOOK_SECRET_KEY.*required/);
  });

  it('accepts JWT_EXPIRY as seconds or with a unit, nothing else', () => {
    expect(parseEnvironment({ JWT_EXPIRY: '3600' }).JWT_EXPIRY).toBe('3600');
    expect(parseEnvironment({ JWT_EXPIRY: '7d' }).JWT_EXPIRY).toBe('7d');
    expect(() => parseEnvironment({ JWT_EXPIRY: 'a day' })).toThrow(/JWT_EXPIRY/);
  });

  it('ignores unrelated variables', () => {
    expect(() => parseEnvironment({ PATH: '/usr/bin', HOME: '/root' })).not.toThrow();
  });
});

describe('.env.example', () => {
  const example = readFileSync(join(projectRoot, '.env.example'), 'utf8');
  const documented = new Map(
    example
      .split('\n')
      .filter((line) => /^[A-Z_]+=/.test(line))
      .map((line) => line.split('=') as [string, string]),
  );

  it('lists every variable the service reads, and only those', () => {
    expect([...documented.keys()].sort()).toEqual(Object.keys(new Environment()).sort());
  });

  it('shows each default the code applies', () => {
    const defaults = parseEnvironment({});
    for (const [name, value] of documented) {
      const actual = defaults[name as keyof Environment];
      expect(`${name}=${actual ?? ''}`).toBe(`${name}=${value}`);
    }
  });

  it('has a comment line above every variable', () => {
    const lines = example.split('\n');
    lines.forEach((line, index) => {
      if (/^[A-Z_]+=/.test(line)) expect(lines[index - 1]).toMatch(/^#/);
    });
  });
});
