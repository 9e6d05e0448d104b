import { describe, expect, it } from '@jest/globals';
import { DomainException } from '../../platform/http/problem-details/problem-details.js';
import {
  type CountAction,
  type CountStatus,
  COUNT_STATUSES,
  COUNT_TRANSITIONS,
  assertLinesOpen,
  legalTransition,
} from './count-state.js';

// The lifecycle of docs/counts.md, written out independently of the table under test.
const legal: Array<[CountAction, CountStatus, CountStatus, string]> = [
  ['start', 'draft', 'in_progress', 'started'],
  ['submit', 'in_progress', 'submitted', 'submitted'],
  ['approve', 'submitted', 'posted', 'posted'],
  ['cancel', 'draft', 'cancelled', 'cancelled'],
  ['cancel', 'in_progress', 'cancelled', 'cancelled'],
  ['cancel', 'submitted', 'cancelled', 'cancelled'],
];

const actions = Object.keys(COUNT_TRANSITIONS) as CountAction[];
const illegal = actions.flatMap((action) =>
  COUNT_STATUSES.filter((from) => !legal.some(([a, f]) => a === action && f === from)).map(
    (from) => [action, from] as const,
  ),
);

function thrown(fn: () => unknown): DomainException {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainException) return error;
    throw error;
  }
  throw new Error('nothing was thrown');
}

const refusal = (action: CountAction, from: CountStatus) => thrown(() => legalTransition(action, from));

describe('count sheet state transitions', () => {
  it('has exactly the four actions of the lifecycle', () => {
    expect(actions.sort()).toEqual(['approve', 'cancel', 'start', 'submit']);
  });

  it.each(legal)('%s from %s goes to %s and stamps %s_at/_by', (action, from, to, stamp) => {
    expect(legalTransition(action, from)).toMatchObject({ to, stamp });
  });

  it('refuses every other (action, status) pair', () => {
    // 4 actions x 5 statuses, 6 of them legal.
    expect(illegal).toHaveLength(14);
  });

  it.each(illegal)('refuses %s from %s with the 409 illegal-transition', (action, from) => {
    const error = refusal(action, from);
    expect(error.status).toBe(409);
    expect(error.type).toBe('illegal-transition');
    expect(error.title).toBe('Illegal state transition');
    expect(error.extensions).toEqual({ currentStatus: from });
  });

  it('keeps the details of the API', () => {
    expect(refusal('start', 'posted').message).toBe('a count in status posted cannot become in_progress');
    expect(refusal('submit', 'draft').message).toBe('a count in status draft cannot become submitted');
    expect(refusal('cancel', 'posted').message).toBe('a count in status posted cannot become cancelled');
    expect(refusal('approve', 'in_progress').message).toBe('only a submitted count can be approved');
  });

  it('accepts counted lines only while in progress', () => {
    expect(() => assertLinesOpen('in_progress')).not.toThrow();
    for (const status of COUNT_STATUSES.filter((s) => s !== 'in_progress')) {
      const error = thrown(() => assertLinesOpen(status));
      expect(error).toMatchObject({
        status: 409,
        type: 'illegal-transition',
        extensions: { currentStatus: status },
      });
      expect(error.message).toBe('lines can be entered only while the count is in progress');
    }
  });
});
