import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldError, ValidationFailedException } from '../problem-details/problem-details.js';

/**
 * The one global validation pipe: unknown properties are rejected (not silently dropped), payloads are
 * transformed to their DTO classes, and every failing field is reported with its full path (`lines[2].qty`).
 */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    stopAtFirstError: false,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedException(flattenValidationErrors(errors)),
  });
}

export function flattenValidationErrors(errors: ValidationError[], parentPath = ''): FieldError[] {
  return errors.flatMap((error) => {
    const path = fieldPath(parentPath, error.property);
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field: path, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], path)];
  });
}

function fieldPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}
