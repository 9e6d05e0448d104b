/** Names of the OpenAPI security schemes: the access decorators use them, src/openapi.ts defines them. */
export const SECURITY = { bearer: 'bearer', apiKey: 'api-key', tenant: 'tenant' } as const;
