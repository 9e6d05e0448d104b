import { createHash, randomBytes } from 'node:crypto';

/**
 * `iek_<tenant id, 32 hex>_<43 characters of base64url secret>`. The tenant is part of the key because row-level
 * security needs the tenant before any key can be looked up (docs/api-contract.md: the key's tenant is resolution step 3);
 * the tenant id is no secret (it is in every token too). Only sha256(key) is stored.
 */
const FORMAT = /^iek_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  tenantId: string;
  hash: Buffer;
}

export function generateApiKey(tenantId: string): { key: string; prefix: string; hash: Buffer } {
  const secret = randomBytes(32).toString('base64url');
  const key = `iek_${tenantId.replaceAll('-', '')}_${secret}`;
  return { key, prefix: `iek_…${secret.slice(0, 8)}`, hash: hashApiKey(key) };
}

export function hashApiKey(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}

/** Undefined for anything that is not one of our keys (then it is simply an invalid credential). */
export function parseApiKey(key: string): ParsedApiKey | undefined {
  const match = FORMAT.exec(key.trim());
  if (!match) return undefined;
  const hex = match[1];
  const tenantId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { tenantId, hash: hashApiKey(key.trim()) };
}
