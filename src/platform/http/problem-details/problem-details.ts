/** RFC 9457 problem details, as every error response of the API is shaped. */
export interface FieldError {
  field: string;
  message: string;
}

export interface ProblemDetails {
  /** A stable slug clients can switch on, e.g. `validation-failed`, `insufficient-stock` (listed in README.md, "Errors"). */
  type: string;
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

/**
 * A failure the API reports on purpose. Services throw subclasses or instances of this; the global filter
 * turns it into problem+json. `extensions` are extra members (e.g. the item and location of a stock shortage).
 */
export class DomainException extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export class ValidationFailedException extends DomainException {
  constructor(readonly errors: FieldError[]) {
    super(400, 'validation-failed', 'Invalid request', `${errors.length} field(s) failed validation`, {
      errors,
    });
  }
}
