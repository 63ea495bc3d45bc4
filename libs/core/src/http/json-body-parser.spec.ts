import { jsonShapeExcess, MAX_JSON_DEPTH, MAX_JSON_KEYS } from './json-body-parser';

describe('jsonShapeExcess', () => {
  const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

  it('allows nesting up to the limit and refuses one level more, for objects and arrays alike', () => {
    expect(jsonShapeExcess(deep(MAX_JSON_DEPTH), MAX_JSON_DEPTH, MAX_JSON_KEYS)).toBeUndefined();
    expect(jsonShapeExcess(deep(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH, MAX_JSON_KEYS)).toBe('depth');
    expect(jsonShapeExcess(`${'{"a":'.repeat(33)}1${'}'.repeat(33)}`, 32, 1000)).toBe('depth');
  });

  it('measures 100,000 levels without recursion', () => {
    expect(jsonShapeExcess(deep(100_000), MAX_JSON_DEPTH, MAX_JSON_KEYS)).toBe('depth');
  });

  it('reads brackets, colons and escaped quotes inside strings as text', () => {
    const text = JSON.stringify({ a: `${'{['.repeat(100)}\\"${':'.repeat(5000)}"` });
    expect(jsonShapeExcess(text, 2, 2)).toBeUndefined();
  });

  it('counts object keys across the whole body', () => {
    const keys = (n: number) => JSON.stringify(Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 1])));
    expect(jsonShapeExcess(keys(MAX_JSON_KEYS), MAX_JSON_DEPTH, MAX_JSON_KEYS)).toBeUndefined();
    expect(jsonShapeExcess(keys(MAX_JSON_KEYS + 1), MAX_JSON_DEPTH, MAX_JSON_KEYS)).toBe('keys');
    expect(
      jsonShapeExcess(`[${Array(600).fill('{"a":1}').join(',')},${Array(600).fill('{"b":2}').join(',')}]`, 32, 1000),
    ).toBe('keys');
  });
});
