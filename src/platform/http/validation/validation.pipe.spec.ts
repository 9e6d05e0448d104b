import { describe, expect, it } from '@jest/globals';
import type { ValidationError } from '@nestjs/common';
import { flattenValidationErrors } from './validation.pipe.js';

function error(
  property: string,
  constraints?: Record<string, string>,
  children: ValidationError[] = [],
): ValidationError {
  return { property, constraints, children };
}

describe('flattenValidationErrors', () => {
  it('reports every constraint of every field with its full path', () => {
    const sut = flattenValidationErrors([
      error('type', { isIn: 'type must be one of receipt, issue' }),
      error('lines', undefined, [
        error('0', undefined, [
          error('qty', { isNumberString: 'qty must be a number string', min: 'qty must be positive' }),
        ]),
        error('3', undefined, [
          error('lot', undefined, [error('code', { isString: 'code must be a string' })]),
        ]),
      ]),
    ]);
    expect(sut).toEqual([
      { field: 'type', message: 'type must be one of receipt, issue' },
      { field: 'lines[0].qty', message: 'qty must be a number string' },
      { field: 'lines[0].qty', message: 'qty must be positive' },
      { field: 'lines[3].lot.code', message: 'code must be a string' },
    ]);
  });

  it('returns nothing for no errors', () => {
    expect(flattenValidationErrors([])).toEqual([]);
  });
});
