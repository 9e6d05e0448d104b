import type { Type } from '@nestjs/common';
import { createValidationPipe } from '../../platform/http/validation/validation.pipe.js';

/** Validates command-line input with the API's own DTOs and pipe, so both reject the same things. */
export async function validateInput<T extends object>(
  type: Type<T>,
  plain: Record<string, unknown>,
): Promise<T> {
  const defined = Object.fromEntries(Object.entries(plain).filter(([, value]) => value !== undefined));
  return (await createValidationPipe().transform(defined, { type: 'body', metatype: type })) as T;
}

export function parseJsonOption(name: string, value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new Error(`--${name} must be JSON, e.g. '{"limits":{"maxUsers":50}}'`);
  }
}
