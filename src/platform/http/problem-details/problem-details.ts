import { type FixedStatusProblemType, PROBLEM_TYPES, type ProblemType } from './problem-types.js';

/** RFC 9457 problem details, as every error response of the API is shaped. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  /** A stable slug clients can switch on, e.g. `validation-failed`, `insufficient-stock` (problem-types.ts). */
  type: ProblemType;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  requestId?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

/** The members every problem has, without request-specific ones. */
export type ProblemCore = Pick<ProblemDetails, 'type' | 'title' | 'status' | 'detail'>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** The core of a problem of this type, its status and title taken from the catalogue (problem-types.ts). */
export function problemOf(type: FixedStatusProblemType, detail: string): ProblemCore {
  const { status, title } = PROBLEM_TYPES[type];
  return { type, title, status, detail };
}

/**
 * A failure the API reports on purpose. Services throw subclasses or instances of this; the global filter
 * turns it into problem+json. The slug decides status and title (problem-types.ts); `extensions` are extra
 * members (e.g. the item and location of a stock shortage).
 */
export class DomainException extends Error {
  readonly status: number;
  readonly title: string;

  constructor(
    readonly type: FixedStatusProblemType,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
    ({ status: this.status, title: this.title } = PROBLEM_TYPES[type]);
  }
}

export class ValidationFailedException extends DomainException {
  constructor(readonly errors: FieldError[]) {
    super('validation-failed', `${errors.length} field(s) failed validation`, { errors });
  }
}
