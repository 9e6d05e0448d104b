import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { projectRoot } from '../../config/project-paths.js';
import { DomainException, ValidationFailedException } from './problem-details.js';
import { PROBLEM_TYPES } from './problem-types.js';

/** The rows of README.md's "Errors" table as [slug, status], in their order. */
function documentedProblemTypes(): [string, string][] {
  const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((part) => part.startsWith('Errors\n'));
  if (!section) throw new Error('README.md has no "## Errors" section');
  return section
    .split('\n')
    .map((line) => /^\|\s*`([^`]+)`\s*\|\s*([^|]*?)\s*\|/.exec(line))
    .filter((match): match is RegExpExecArray => match !== null && match[1] !== 'type')
    .map((match) => [match[1], match[2]]);
}

describe('PROBLEM_TYPES', () => {
  it('is what README.md documents: the same slugs, in the same order, with the same statuses', () => {
    const catalogue = Object.entries(PROBLEM_TYPES).map(([type, { status }]) => [type, String(status)]);
    expect(documentedProblemTypes()).toEqual(catalogue);
  });

  it('gives every slug an HTTP error status (or status class) and a title', () => {
    for (const { status, title } of Object.values(PROBLEM_TYPES)) {
      expect(String(status)).toMatch(/^[45](\d\d|xx)$/);
      expect(title).not.toBe('');
    }
  });
});

describe('DomainException', () => {
  it('takes status and title from the catalogue', () => {
    const sut = new DomainException('illegal-transition', 'only a submitted count can be approved', {
      currentStatus: 'draft',
    });
    expect(sut).toMatchObject({
      type: 'illegal-transition',
      status: 409,
      title: 'Illegal state transition',
      message: 'only a submitted count can be approved',
      extensions: { currentStatus: 'draft' },
    });
  });

  it('keeps subclasses working', () => {
    const sut = new ValidationFailedException([{ field: 'sku', message: 'sku must be a string' }]);
    expect(sut).toBeInstanceOf(DomainException);
    expect(sut).toMatchObject({ type: 'validation-failed', status: 400, title: 'Invalid request' });
    expect(sut.extensions).toEqual({ errors: sut.errors });
  });

  it('accepts only slugs of the catalogue with a status of their own (the compiler checks it)', () => {
    const unknownSlug = (): DomainException =>
      // @ts-expect-error: not a slug of the catalogue
      new DomainException('no-such-type', 'x');
    const statusGenericSlug = (): DomainException =>
      // @ts-expect-error: status-generic: only the filter gives it, keeping the exception's own status
      new DomainException('error', 'x');
    expect([unknownSlug, statusGenericSlug]).toHaveLength(2);
  });
});
