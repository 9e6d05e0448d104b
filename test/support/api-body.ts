/**
 * A response body typed as the OpenAPI document declares it, e.g. `bodyOf<ItemView>(response)` with a type from
 * test/support/api-types.gen.ts (`npm run generate:api-types`). A cast, not a check: what a test reads is typed
 * from the document instead of an ad-hoc `as { ... }`, and a renamed or removed field fails to compile.
 * Validation against the schemas is generated-client.e2e-spec.ts's job.
 */
export function bodyOf<T>(response: { body: unknown }): T {
  return response.body as T;
}
