import {
  type Api,
  createItem,
  createLocation,
  createTenantWithAdmin,
  createWebhook as createEndpoint,
  httpApi,
} from '../../kit/api.js';

export interface FixtureItem {
  id: string;
  sku: string;
  lotTracked: boolean;
  /** Other units than the base unit: code and factor. */
  uoms: { code: string; factor: number }[];
  /** Quantities with decimals (a kg item). */
  decimals: boolean;
}

/**
 * The data the clients work on, in one tenant with the default `deny` rule: five items (a plain one, one with a
 * unit `case` of 12, a lot-tracked one, one in kg with decimal quantities, a second plain one), four bins where
 * stock comes and goes, and two count zones that only receive stock (receipts, transfers in) and are counted.
 */
export interface Fixture {
  tenantId: string;
  slug: string;
  token: string;
  items: FixtureItem[];
  bins: string[];
  zones: string[];
}

const ITEMS = [
  { sku: 'EA-1', baseUom: 'ea', lotTracked: false, uoms: [], decimals: false },
  { sku: 'CASE-1', baseUom: 'ea', lotTracked: false, uoms: [{ code: 'case', factor: 12 }], decimals: false },
  { sku: 'LOT-1', baseUom: 'ea', lotTracked: true, uoms: [], decimals: false },
  { sku: 'KG-1', baseUom: 'kg', lotTracked: false, uoms: [], decimals: true },
  { sku: 'EA-2', baseUom: 'ea', lotTracked: false, uoms: [], decimals: false },
];

export async function createFixture(base: string, slug: string): Promise<Fixture> {
  const api: Api = httpApi(base);
  const tenant = await createTenantWithAdmin(api, slug, { name: `Reliability ${slug}` });
  const token = tenant.admin.token;
  const items: FixtureItem[] = [];
  for (const { decimals, ...definition } of ITEMS) {
    const id = await createItem(api, token, definition);
    items.push({
      id,
      sku: definition.sku,
      lotTracked: definition.lotTracked,
      uoms: definition.uoms,
      decimals,
    });
  }
  const location = (site: string, name: string) => createLocation(api, token, { site, name });
  const bins = [
    await location('Main', 'B1'),
    await location('Main', 'B2'),
    await location('Main', 'B3'),
    await location('Main', 'B4'),
  ];
  const zones = [await location('Count', 'Z1'), await location('Count', 'Z2')];
  return { tenantId: tenant.id, slug, token, items, bins, zones };
}

/** A webhook endpoint of the fixture's tenant pointing at `url` (needs WEBHOOK_ALLOW_PRIVATE_NETWORKS=true). */
export function createWebhook(
  base: string,
  fixture: Fixture,
  url: string,
  events: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  return createEndpoint(httpApi(base), fixture.token, {
    name: 'reliability',
    url,
    events,
    timeoutMs: 1000,
    ...extra,
  });
}
