import { ValidateIf } from 'class-validator';

/**
 * Like @IsOptional(), except that only an absent property skips validation: null is validated, so the
 * validators after it refuse it (400). For fields a PATCH may leave out but never clear. @IsOptional() skips null
 * too, and handed it to services that call `input.name.trim()` (a 500, found by the fuzz suite).
 */
export function IsOmittable(): PropertyDecorator {
  return ValidateIf((_object: unknown, value: unknown) => value !== undefined);
}
