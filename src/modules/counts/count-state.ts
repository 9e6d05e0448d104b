import { DomainException } from '../../platform/http/problem-details/problem-details.js';

/** The statuses of a count sheet (the CHECK constraint of count_sheets.status). */
export type CountStatus = 'draft' | 'in_progress' | 'submitted' | 'posted' | 'cancelled';

export const COUNT_STATUSES: readonly CountStatus[] = [
  'draft',
  'in_progress',
  'submitted',
  'posted',
  'cancelled',
];

/** The column pair `<stamp>_at` / `<stamp>_by` a transition records (when and who). */
export type CountStamp = 'started' | 'submitted' | 'posted' | 'cancelled';

export type CountAction = 'start' | 'submit' | 'approve' | 'cancel';

export interface CountTransition {
  readonly from: readonly CountStatus[];
  readonly to: CountStatus;
  readonly stamp: CountStamp;
  /** The 409's detail when the sheet is in another status; the generic one when absent. */
  readonly refusal?: string;
}

/** The lifecycle of docs/counts.md: anything not in this table is a 409. */
export const COUNT_TRANSITIONS: Readonly<Record<CountAction, CountTransition>> = {
  start: { from: ['draft'], to: 'in_progress', stamp: 'started' },
  submit: { from: ['in_progress'], to: 'submitted', stamp: 'submitted' },
  approve: {
    from: ['submitted'],
    to: 'posted',
    stamp: 'posted',
    refusal: 'only a submitted count can be approved',
  },
  cancel: { from: ['draft', 'in_progress', 'submitted'], to: 'cancelled', stamp: 'cancelled' },
};

/** Counted lines are accepted only in this status. */
export const LINES_OPEN_IN: CountStatus = 'in_progress';

export function illegalState(currentStatus: string, detail: string): DomainException {
  return new DomainException('illegal-transition', detail, {
    currentStatus,
  });
}

/** The transition `action` makes from `status`, or the 409 when it is not legal from there. */
export function legalTransition(action: CountAction, status: CountStatus): CountTransition {
  const transition = COUNT_TRANSITIONS[action];
  if (!transition.from.includes(status)) {
    throw illegalState(
      status,
      transition.refusal ?? `a count in status ${status} cannot become ${transition.to}`,
    );
  }
  return transition;
}

export function assertLinesOpen(status: CountStatus): void {
  if (status !== LINES_OPEN_IN) {
    throw illegalState(status, 'lines can be entered only while the count is in progress');
  }
}
