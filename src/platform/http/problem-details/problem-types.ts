/**
 * Every problem `type` the service can answer with, its HTTP status and its one title: the one owner of all
 * three. Throw sites name only the slug (`new DomainException('not-found', detail)`), so a slug cannot appear
 * with two titles and the compiler rejects an unknown one. README.md ("Errors") lists the same entries in the
 * same order; problem-types.spec.ts fails when the two drift apart.
 *
 * `error` and `internal-error` are status-generic: the filter gives them to an HttpException whose status has
 * no slug of its own and keeps that status (any 4xx, any 5xx), so DomainException cannot be given them.
 */
export const PROBLEM_TYPES = {
  'validation-failed': { status: 400, title: 'Invalid request' },
  'malformed-json': { status: 400, title: 'Malformed JSON' },
  'bad-request': { status: 400, title: 'Bad request' },
  'constraint-violated': { status: 400, title: 'Invalid request' },
  'invalid-value': { status: 400, title: 'Invalid request' },
  'invalid-cursor': { status: 400, title: 'Invalid cursor' },
  'tenant-required': { status: 400, title: 'Tenant required' },
  unauthorized: { status: 401, title: 'Not authenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  'feature-disabled': { status: 403, title: 'Feature disabled' },
  'tenant-mismatch': { status: 403, title: 'Tenant mismatch' },
  'tenant-suspended': { status: 403, title: 'Tenant suspended' },
  'not-found': { status: 404, title: 'Not found' },
  'tenant-not-found': { status: 404, title: 'Tenant not found' },
  'route-not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'not-acceptable': { status: 406, title: 'Not acceptable' },
  conflict: { status: 409, title: 'Conflict' },
  'insufficient-stock': { status: 409, title: 'Insufficient stock' },
  'insufficient-available': { status: 409, title: 'Insufficient available stock' },
  'reservation-not-active': { status: 409, title: 'Reservation not active' },
  'release-exceeds-open': { status: 409, title: 'Release exceeds the open quantity' },
  'idempotency-in-flight': { status: 409, title: 'Request in flight' },
  'illegal-transition': { status: 409, title: 'Illegal state transition' },
  'audit-append-only': { status: 409, title: 'Audit log is append-only' },
  'backup-in-progress': { status: 409, title: 'Backup in progress' },
  'backup-not-verifiable': { status: 409, title: 'Backup cannot be verified' },
  'ledger-append-only': { status: 409, title: 'Ledger is append-only' },
  'item-has-history': { status: 409, title: 'Item has stock history' },
  'concurrent-update': { status: 409, title: 'Conflict' },
  'limit-exceeded': { status: 409, title: 'Tenant limit reached' },
  'system-role': { status: 409, title: 'System role' },
  'user-erased': { status: 409, title: 'User erased' },
  'cursor-expired': { status: 410, title: 'Cursor expired' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key reused' },
  unprocessable: { status: 422, title: 'Unprocessable request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  error: { status: '4xx', title: 'Client error' },
  'internal-error': { status: '5xx', title: 'Internal server error' },
  'service-unavailable': { status: 503, title: 'Service unavailable' },
  'database-timeout': { status: 503, title: 'Service unavailable' },
  'database-unavailable': { status: 503, title: 'Service unavailable' },
} as const;

export type ProblemType = keyof typeof PROBLEM_TYPES;

/** The slugs with a status of their own: the ones a DomainException or the PostgreSQL mapping can carry. */
export type FixedStatusProblemType = {
  [Type in ProblemType]: (typeof PROBLEM_TYPES)[Type]['status'] extends number ? Type : never;
}[ProblemType];
