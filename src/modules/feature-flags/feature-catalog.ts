/**
 * The feature flags a tenant can switch (GET/PUT /api/feature-flags). Stored as the list of enabled keys in
 * tenants.settings.features; a tenant without that list has every flag at its default.
 */
export const FEATURE_CATALOG = {
  webhooks: { description: 'Webhook endpoints and deliveries (/api/webhooks)', default: true },
  counts: { description: 'Physical count sheets (/api/counts)', default: true },
  'api-keys': { description: 'API keys for integrations (/api/api-keys)', default: true },
  export: { description: 'Full tenant export as NDJSON (/api/tenant/export)', default: true },
} as const satisfies Record<string, { description: string; default: boolean }>;

export type FeatureKey = keyof typeof FEATURE_CATALOG;

export const FEATURE_KEYS = Object.keys(FEATURE_CATALOG) as FeatureKey[];

/** The enabled features given a tenant's stored list (undefined: never changed, so the defaults). */
export function enabledFeatures(stored: readonly string[] | undefined): Set<FeatureKey> {
  if (stored === undefined) return new Set(FEATURE_KEYS.filter((key) => FEATURE_CATALOG[key].default));
  return new Set(FEATURE_KEYS.filter((key) => stored.includes(key)));
}
