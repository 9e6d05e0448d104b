import fc from 'fast-check';
import { type OpenApiDocument, type Schema, resolveSchema } from './openapi-document.js';

/**
 * fast-check arbitraries from the schemas of the service's OpenAPI document: values shaped like the schema
 * (`shaped`, the happy path, reaching past validation into services and SQL) and the same shapes with hostile
 * parts (`hostile`: wrong types, nulls, huge numbers, deep nesting, long and odd unicode strings, SQL-ish
 * strings, missing required and extra fields).
 */

/** Strings that have broken parsers, SQL builders and encoders before. */
export const NASTY_STRINGS = [
  '',
  ' ',
  "'",
  "' OR '1'='1",
  "'; DROP TABLE items; --",
  '"; SELECT pg_sleep(10); --',
  '1; SELECT 1',
  '\\',
  '%',
  '_',
  '%_%',
  '\u0000',
  'a\u0000b',
  '\uD800',
  '\uDFFF\uD800',
  '\uFEFF',
  '\u202Eevil',
  'e\u0301',
  '👩‍👩‍👧‍👦',
  '𝕏',
  'null',
  'undefined',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  '0x10',
  '__proto__',
  'constructor',
  '../../../../etc/passwd',
  '<script>alert(1)</script>',
  '${7*7}',
  '{{7*7}}',
  '2024-02-30T25:61:61Z',
  '0000-00-00',
  '-1',
  '99999999999999999999999999999999',
  '1.0000001',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', minLength: 300, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 2000, max: 20_000 }).map((n) => 'x'.repeat(n)) },
);

export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -(2 ** 63),
    2 ** 63,
    2 ** 31,
    -(2 ** 31) - 1,
    1e-300,
    0.1 + 0.2,
    -0,
    1.5,
    -1,
    0,
    1e21,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/**
 * `{"a":{"a":...}}` or `[[[...]]]`, 20 to 50,000 levels deep (the service refuses more than 64). JSON.stringify cannot serialise that
 * deep (it recurses), so the value is a marker string that toJson() below expands into the nested text.
 */
export const deeplyNested: fc.Arbitrary<string> = fc
  .tuple(fc.oneof(fc.integer({ min: 20, max: 80 }), fc.integer({ min: 100, max: 50_000 })), fc.boolean())
  .map(([depth, asArray]) => `__deep_${asArray ? 'array' : 'object'}_${depth}__`);

/** JSON.stringify, with the markers of `deeplyNested` expanded into the deeply nested JSON they stand for. */
export function toJson(value: unknown): string {
  return (JSON.stringify(value) ?? 'null').replace(
    /"__deep_(array|object)_(\d+)__"/g,
    (_, kind: string, depth: string) =>
      kind === 'array'
        ? `${'['.repeat(Number(depth))}${']'.repeat(Number(depth))}`
        : `${'{"a":'.repeat(Number(depth))}{}${'}'.repeat(Number(depth))}`,
  );
}

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostileString },
  { weight: 3, arbitrary: hostileNumber },
  { weight: 2, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: deeplyNested },
  { weight: 1, arbitrary: fc.array(hostileString, { maxLength: 5 }) },
);

/** Field names that must never be accepted from a client. */
const FORBIDDEN_FIELDS = [
  '__proto__',
  'constructor',
  'prototype',
  'id',
  'tenantId',
  'tenant_id',
  'platformAdmin',
];

export interface ArbitraryContext {
  document: OpenApiDocument;
  /** Ids that exist (items, locations, roles, ...): uuid fields draw from them too, to get past lookups. */
  knownIds: string[];
  /** Existing ids by property name (`itemId`, `locationIds`, ...), preferred over `knownIds` for that field. */
  idsByField?: Record<string, string[]>;
}

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * A value of the schema's shape (the happy path; may still be refused for business reasons). `field` is the
 * property name the value is for: it picks existing ids and, for `url`, a URL.
 */
export function shaped(
  context: ArbitraryContext,
  input: Schema,
  depth = 0,
  field?: string,
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(context.document, input);
  if (schema.allOf?.length) return shaped(context, schema.allOf[0], depth, field);
  let value: fc.Arbitrary<unknown>;
  if (schema.enum) {
    value = fc.constantFrom(...schema.enum);
  } else if (schema.type === 'string') {
    value = shapedString(context, schema, field);
  } else if (schema.type === 'number' || schema.type === 'integer') {
    value = fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 100_000) });
  } else if (schema.type === 'boolean') {
    value = fc.boolean();
  } else if (schema.type === 'array' && schema.items) {
    const items = shaped(context, schema.items, depth + 1, field);
    const constraints = { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 3, 3) };
    value = schema.uniqueItems
      ? fc.uniqueArray(items, { ...constraints, selector: (item) => JSON.stringify(item) })
      : fc.array(items, constraints);
  } else if (schema.properties || schema.type === 'object') {
    value = shapedObject(context, schema, depth);
  } else {
    value = fc.jsonValue({ maxDepth: 2 });
  }
  // The document's own example is a value the service accepts (sku "S1", uom "case", events ["movement.posted"]).
  if (schema.example !== undefined) value = fc.oneof(value, fc.constant(schema.example));
  return schema.nullable ? fc.option(value, { nil: null, freq: 5 }) : value;
}

function shapedString(context: ArbitraryContext, schema: Schema, field?: string): fc.Arbitrary<string> {
  const description = typeof schema.description === 'string' ? schema.description : '';
  if (schema.format === 'uuid') {
    const existing = (field && context.idsByField?.[field]) || context.knownIds;
    return existing.length > 0
      ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...existing) }, { weight: 1, arbitrary: fc.uuid() })
      : fc.uuid();
  }
  if (schema.format === 'email') return fc.emailAddress();
  if (field === 'url') return fc.webUrl({ validSchemes: ['http', 'https'] });
  if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
  if (typeof schema.example === 'string' && DECIMAL.test(schema.example)) {
    return fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 50 }).map(String) },
      { weight: 1, arbitrary: fc.integer({ min: -100, max: 0 }).map(String) },
      {
        weight: 2,
        arbitrary: fc
          .tuple(fc.integer({ min: 0, max: 999 }), fc.integer({ min: 0, max: 9_999_999 }))
          .map(([whole, fraction]) => `${whole}.${fraction}`),
      },
    );
  }
  if (/ISO-8601|timestamp/i.test(description)) {
    return fc
      .date({ min: new Date('1900-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  }
  const minLength = schema.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(schema.maxLength ?? 30, 30));
  // Mostly printable ASCII; sometimes any code point (controls, U+0000, lone surrogates, astral), which passes
  // the validators and goes on to the database.
  return fc.oneof(
    { weight: 6, arbitrary: fc.string({ minLength, maxLength }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength, maxLength }) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...NASTY_STRINGS)
        .filter((text) => text.length >= minLength && text.length <= maxLength),
    },
  );
}

function shapedObject(context: ArbitraryContext, schema: Schema, depth: number): fc.Arbitrary<unknown> {
  const properties = schema.properties ?? {};
  if (Object.keys(properties).length === 0) {
    const values =
      typeof schema.additionalProperties === 'object'
        ? shaped(context, schema.additionalProperties, depth + 1)
        : fc.jsonValue({ maxDepth: 2 });
    return fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), values, { maxKeys: 3 });
  }
  const model = Object.fromEntries(
    Object.entries(properties).map(([name, property]) => [name, shaped(context, property, depth + 1, name)]),
  );
  return fc.record(model, { requiredKeys: (schema.required ?? []).filter((name) => name in model) });
}

/**
 * The schema's shape with hostile parts: any node may be replaced by a hostile value, required properties may
 * be missing, arrays may exceed their limits, and objects may carry fields the schema does not have.
 */
export function hostile(
  context: ArbitraryContext,
  input: Schema,
  depth = 0,
  field?: string,
): fc.Arbitrary<unknown> {
  const schema = resolveSchema(context.document, input);
  if (schema.allOf?.length) return hostile(context, schema.allOf[0], depth, field);
  let structure: fc.Arbitrary<unknown>;
  if (schema.type === 'array' && schema.items && depth < 6) {
    const items = hostile(context, schema.items, depth + 1, field);
    structure = fc.oneof(
      { weight: 12, arbitrary: fc.array(items, { maxLength: 4 }) },
      {
        // past maxItems (capped: the point is the check, not the transfer): one shaped item, repeated; rare,
        // since validating 10,001 count lines takes the service about a second
        weight: 1,
        arbitrary: shaped(context, schema.items, depth + 1, field).map((item) =>
          Array.from({ length: Math.min((schema.maxItems ?? 1000) + 1, 10_001) }, () => item),
        ),
      },
    );
  } else if ((schema.properties || schema.type === 'object') && depth < 6) {
    const model = Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([name, property]) => [
        name,
        hostile(context, property, depth + 1, name),
      ]),
    );
    structure = fc
      .tuple(
        fc.record(model, { requiredKeys: [] }),
        fc.dictionary(
          fc.oneof(fc.constantFrom(...FORBIDDEN_FIELDS), fc.string({ maxLength: 12 })),
          hostileValue,
          { maxKeys: 2 },
        ),
        fc.nat({ max: 9 }),
      )
      .map(([known, extra, dice]) => {
        if (dice > 2) return known;
        const merged: Record<string, unknown> = { ...known };
        // defineProperty: `__proto__` must become an own property (plain assignment would set the prototype)
        for (const [name, value] of Object.entries(extra)) {
          Object.defineProperty(merged, name, {
            value,
            enumerable: true,
            writable: true,
            configurable: true,
          });
        }
        return merged;
      });
  } else {
    structure = shaped(context, schema, depth, field);
  }
  // Mostly the shape: one hostile node per body is enough to test a rule, more only hide it behind the first.
  return fc.oneof({ weight: 6, arbitrary: structure }, { weight: 1, arbitrary: hostileValue });
}
