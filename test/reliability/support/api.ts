import { PLATFORM_ADMIN } from './service.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** One JSON request with fetch; the body is parsed when there is one. */
export async function call<T = unknown>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; tenant?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.token && { authorization: `Bearer ${options.token}` }),
      ...(options.tenant && { 'x-tenant-id': options.tenant }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : undefined) as T,
    headers: response.headers,
  };
}

async function created<T>(answer: Promise<Answer<T>>, what: string): Promise<T> {
  const { status, body } = await answer;
  if (status !== 201 && status !== 200) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

export async function login(base: string, tenant: string, email: string, password: string): Promise<string> {
  const body = await created(
    call<{ accessToken: string }>(base, 'POST', '/api/auth/login', { tenant, body: { email, password } }),
    `login ${email}`,
  );
  return body.accessToken;
}

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

export async function createFixture(base: string, slug: string): Promise<Fixture> {
  const platform = await login(base, 'default', PLATFORM_ADMIN.email, PLATFORM_ADMIN.password);
  const admin = { email: `admin@${slug}.example`, password: `admin-password-${slug}` };
  const tenant = await created(
    call<{ id: string }>(base, 'POST', '/api/tenants', {
      token: platform,
      body: { name: `Reliability ${slug}`, slug, admin: { ...admin, name: 'Admin' } },
    }),
    'create tenant',
  );
  const token = await login(base, slug, admin.email, admin.password);
  const definitions = [
    { sku: 'EA-1', baseUom: 'ea', lotTracked: false, uoms: [], decimals: false },
    {
      sku: 'CASE-1',
      baseUom: 'ea',
      lotTracked: false,
      uoms: [{ code: 'case', factor: 12 }],
      decimals: false,
    },
    { sku: 'LOT-1', baseUom: 'ea', lotTracked: true, uoms: [], decimals: false },
    { sku: 'KG-1', baseUom: 'kg', lotTracked: false, uoms: [], decimals: true },
    { sku: 'EA-2', baseUom: 'ea', lotTracked: false, uoms: [], decimals: false },
  ];
  const items: FixtureItem[] = [];
  for (const { decimals, ...definition } of definitions) {
    const item = await created(
      call<{ id: string }>(base, 'POST', '/api/items', {
        token,
        body: { ...definition, name: definition.sku },
      }),
      `create item ${definition.sku}`,
    );
    items.push({
      id: item.id,
      sku: definition.sku,
      lotTracked: definition.lotTracked,
      uoms: definition.uoms,
      decimals,
    });
  }
  const location = async (site: string, name: string) =>
    (
      await created(
        call<{ id: string }>(base, 'POST', '/api/locations', { token, body: { site, name } }),
        `create location ${name}`,
      )
    ).id;
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
export async function createWebhook(
  base: string,
  fixture: Fixture,
  url: string,
  events: string[],
  extra: Record<string, unknown> = {},
): Promise<string> {
  const endpoint = await created(
    call<{ id: string }>(base, 'POST', '/api/webhooks', {
      token: fixture.token,
      body: { name: 'reliability', url, events, timeoutMs: 1000, ...extra },
    }),
    'create webhook endpoint',
  );
  return endpoint.id;
}
