import type { TestApp } from '../support/test-app.js';
import { PLATFORM_ADMIN } from './standalone-env.js';

export interface Answer<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

export interface RequestOptions {
  token?: string;
  tenant?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/**
 * One JSON request to the service, whichever way it runs: a child process (httpApi) or the in-process test app
 * (inProcessApi). The fixtures below take one, so that every suite creates its data the same way.
 */
export type Api = <T = unknown>(method: string, path: string, options?: RequestOptions) => Promise<Answer<T>>;

export interface Credentials {
  email: string;
  password: string;
}

function requestHeaders(options: RequestOptions): Record<string, string> {
  return {
    ...(options.body !== undefined && { 'content-type': 'application/json' }),
    ...(options.token && { authorization: `Bearer ${options.token}` }),
    ...(options.tenant && { 'x-tenant-id': options.tenant }),
    ...options.headers,
  };
}

function parsed(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Requests with fetch to a service at `base` (http://127.0.0.1:port); each gives up after `timeoutMs`. */
export function httpApi(base: string, timeoutMs = 30_000): Api {
  return async <T>(method: string, path: string, options: RequestOptions = {}) => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: requestHeaders(options),
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: response.status, body: parsed(await response.text()) as T, headers: response.headers };
  };
}

/** Requests with supertest to the in-process test app (test/support/test-app.ts). */
export function inProcessApi(t: Pick<TestApp, 'http'>): Api {
  return async <T>(method: string, path: string, options: RequestOptions = {}) => {
    const verb = method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const request = t.http()[verb](path).set(requestHeaders(options));
    const response = await (options.body === undefined ? request : request.send(options.body as object));
    const headers = new Headers();
    for (const [name, value] of Object.entries(response.headers as Record<string, string | string[]>))
      headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    return { status: response.status, body: parsed(response.text) as T, headers };
  };
}

/** The answer's body when its status is 2xx; otherwise throws, naming `what` and the answer. */
export async function succeeded<T>(answer: Promise<Answer<T>>, what: string): Promise<T> {
  const { status, body } = await answer;
  if (status < 200 || status > 299) throw new Error(`${what}: ${status} ${JSON.stringify(body)}`);
  return body;
}

/** Logs in to `tenant` (a slug) and returns the bearer token. */
export async function login(api: Api, tenant: string, credentials: Credentials): Promise<string> {
  const body = await succeeded(
    api<{ accessToken: string }>('POST', '/api/auth/login', {
      tenant,
      body: { email: credentials.email, password: credentials.password },
    }),
    `login ${credentials.email}@${tenant}`,
  );
  return body.accessToken;
}

/** The bootstrap platform administrator's token (tenant `default`). */
export function platformLogin(api: Api, admin: Credentials = PLATFORM_ADMIN): Promise<string> {
  return login(api, 'default', admin);
}

export interface TenantWithAdmin {
  id: string;
  slug: string;
  admin: Credentials & { id: string; token: string };
}

/**
 * Creates tenant `slug` through the platform API with an Admin user (admin@<slug>.example unless `admin` is
 * given) and logs that Admin in.
 */
export async function createTenantWithAdmin(
  api: Api,
  slug: string,
  options: { name?: string; admin?: Credentials; platformAdmin?: Credentials } = {},
): Promise<TenantWithAdmin> {
  const platform = await platformLogin(api, options.platformAdmin);
  const admin = options.admin ?? { email: `admin@${slug}.example`, password: `admin-password-${slug}` };
  const tenant = await succeeded(
    api<{ id: string; adminUserId: string }>('POST', '/api/tenants', {
      token: platform,
      body: { name: options.name ?? `Tenant ${slug}`, slug, admin: { ...admin, name: 'Admin' } },
    }),
    `create tenant ${slug}`,
  );
  const token = await login(api, slug, admin);
  return { id: tenant.id, slug, admin: { ...admin, id: tenant.adminUserId, token } };
}

export interface ItemDefinition {
  sku: string;
  /** The SKU unless given. */
  name?: string;
  /** `ea` unless given. */
  baseUom?: string;
  lotTracked?: boolean;
  /** Other units than the base unit: code and factor. */
  uoms?: { code: string; factor: number }[];
}

/** Creates an item; returns its id. */
export async function createItem(api: Api, token: string, item: ItemDefinition): Promise<string> {
  const { name, baseUom, ...rest } = item;
  const created = await succeeded(
    api<{ id: string }>('POST', '/api/items', {
      token,
      body: { ...rest, name: name ?? item.sku, baseUom: baseUom ?? 'ea' },
    }),
    `create item ${item.sku}`,
  );
  return created.id;
}

/** Creates a location (`name` at `site`); returns its id. */
export async function createLocation(
  api: Api,
  token: string,
  location: { site: string; name: string },
): Promise<string> {
  const created = await succeeded(
    api<{ id: string }>('POST', '/api/locations', { token, body: location }),
    `create location ${location.name}`,
  );
  return created.id;
}

export interface ReceiptLine {
  itemId: string;
  locationId: string;
  qty: string | number;
  lotCode?: string;
  uom?: string;
}

/** The body of POST /api/inventory/movements for a receipt. */
export function receipt(lines: ReceiptLine[], reference?: string): Record<string, unknown> {
  return { type: 'receipt', ...(reference !== undefined && { reference }), lines };
}

/**
 * Creates a webhook endpoint (a receiver on 127.0.0.1 needs WEBHOOK_ALLOW_PRIVATE_NETWORKS=true); returns its id.
 */
export async function createWebhook(
  api: Api,
  token: string,
  endpoint: { name: string; url: string; events: string[] } & Record<string, unknown>,
): Promise<string> {
  const created = await succeeded(
    api<{ id: string }>('POST', '/api/webhooks', { token, body: endpoint }),
    `create webhook endpoint ${endpoint.name}`,
  );
  return created.id;
}
