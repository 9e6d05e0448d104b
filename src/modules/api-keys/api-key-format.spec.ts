import { describe, expect, it } from '@jest/globals';
import { generateApiKey, hashApiKey, parseApiKey } from './api-key-format.js';

describe('API key format', () => {
  const tenantId = '0b9f3c1e-52a4-4d7e-9c55-1f2e3d4c5b6a';

  it('carries its tenant and parses back to it, with the sha256 of the whole key', () => {
    const sut = generateApiKey(tenantId);
    expect(sut.key).toMatch(/^iek_0b9f3c1e52a44d7e9c551f2e3d4c5b6a_[A-Za-z0-9_-]{43}$/);
    expect(parseApiKey(sut.key)).toEqual({ tenantId, hash: sut.hash });
    expect(sut.hash.equals(hashApiKey(sut.key))).toBe(true);
    expect(sut.prefix).toBe(`iek_…${sut.key.slice('iek_'.length + 32 + 1).slice(0, 8)}`);
  });

  it('never generates the same key twice', () => {
    const keys = new Set(Array.from({ length: 100 }, () => generateApiKey(tenantId).key));
    expect(keys.size).toBe(100);
  });

  it.each(['', 'iek_', 'iek_xyz_abc', `iek_${'0'.repeat(32)}_short`, 'Bearer abc', `jwt.${'a'.repeat(60)}`])(
    'rejects %j',
    (candidate) => {
      expect(parseApiKey(candidate)).toBeUndefined();
    },
  );
});
