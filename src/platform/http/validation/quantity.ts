import { Transform } from 'class-transformer';
import { ValidateBy, type ValidationOptions } from 'class-validator';

/** Up to 14 integer digits and 6 fractional digits: numeric(20,6), the ledger's type. */
const QUANTITY = /^-?\d{1,14}(\.\d{1,6})?$/;

/**
 * A quantity as docs/api-contract.md defines it: a JSON number or a decimal string, at most 6 fractional digits. Kept as a
 * canonical decimal string from here on (PostgreSQL numeric does the arithmetic; no JS float ever does).
 * A JSON number is taken as written by JSON.parse: beyond 15 significant digits send a string.
 */
export function IsQuantity(options?: ValidationOptions): PropertyDecorator {
  const toCanonical = Transform(({ value }: { value: unknown }) => {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    return typeof text === 'string' && QUANTITY.test(text.trim()) ? canonicalQuantity(text.trim()) : value;
  });
  const validate = ValidateBy(
    {
      name: 'isQuantity',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && QUANTITY.test(value),
        defaultMessage: (args) =>
          `${args?.property ?? 'value'} must be a decimal number (JSON number or string) with at most 6 decimals`,
      },
    },
    options,
  );
  return (target, key) => {
    toCanonical(target, key);
    validate(target, key);
  };
}

/** "007.50" -> "7.5", "-0.000" -> "0": the form responses use. */
export function canonicalQuantity(text: string): string {
  const negative = text.startsWith('-');
  const [integer = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  const int = integer.replace(/^0+(?=\d)/, '');
  const frac = fraction.replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : int;
  return negative && /[1-9]/.test(body) ? `-${body}` : body;
}
