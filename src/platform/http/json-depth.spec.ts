import { describe, expect, it } from '@jest/globals';
import { MAX_JSON_DEPTH, nestedDeeperThan } from './json-depth.js';

function nest(depth: number, asArray: boolean): unknown {
  let value: unknown = asArray ? [] : {};
  for (let level = 1; level < depth; level++) value = asArray ? [value] : { a: value };
  return value;
}

describe('nestedDeeperThan', () => {
  it.each([false, true])('counts objects and arrays (arrays: %s) level by level', (asArray) => {
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH, asArray), MAX_JSON_DEPTH)).toBe(false);
    expect(nestedDeeperThan(nest(MAX_JSON_DEPTH + 1, asArray), MAX_JSON_DEPTH)).toBe(true);
  });

  it('takes any depth without recursing (no stack overflow at 100,000 levels)', () => {
    expect(nestedDeeperThan({ lines: [nest(100_000, false)] }, MAX_JSON_DEPTH)).toBe(true);
  });

  it('ignores scalars and wide but shallow bodies', () => {
    expect(nestedDeeperThan('text', 1)).toBe(false);
    expect(nestedDeeperThan(null, 1)).toBe(false);
    const wide = {
      lines: Array.from({ length: 10_000 }, (_, index) => ({ itemId: String(index), qty: '1' })),
    };
    expect(nestedDeeperThan(wide, 3)).toBe(false);
    expect(nestedDeeperThan(wide, 2)).toBe(true);
  });
});
