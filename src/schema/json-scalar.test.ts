import { GraphQLError, parseValue } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkJson, MAX_JSON_BYTES, MAX_JSON_DEPTH, parseJsonLiteral } from './json-scalar.js';

const nestedObject = (depth: number): unknown => (depth === 0 ? 1 : { a: nestedObject(depth - 1) });
const nestedArray = (depth: number): unknown => JSON.parse('['.repeat(depth) + ']'.repeat(depth));

/** The BAD_USER_INPUT message checkJson throws for `value`, or undefined when it accepts it. */
function refusal(check: () => unknown): string | undefined {
  try {
    check();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(GraphQLError);
    expect((error as GraphQLError).extensions.code).toBe('BAD_USER_INPUT');
    return (error as GraphQLError).message;
  }
}

describe('checkJson', () => {
  it('accepts JSON up to the depth limit and refuses one level more, for objects and arrays', () => {
    expect(refusal(() => checkJson(nestedObject(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(refusal(() => checkJson(nestedArray(MAX_JSON_DEPTH)))).toBeUndefined();
    expect(refusal(() => checkJson(nestedObject(MAX_JSON_DEPTH + 1)))).toMatch(/nested more than 32 levels/);
    expect(refusal(() => checkJson(nestedArray(MAX_JSON_DEPTH + 1)))).toMatch(/nested more than 32 levels/);
    expect(refusal(() => checkJson(JSON.parse('{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000))))).toMatch(/nested/);
  });

  it('measures the size as UTF-8 JSON text', () => {
    const fits = 'x'.repeat(MAX_JSON_BYTES - 2);
    expect(refusal(() => checkJson(fits))).toBeUndefined();
    expect(refusal(() => checkJson(fits + 'x'))).toMatch(/larger than 65536 bytes/);
    // Three bytes each in UTF-8: a third of the characters already fill it.
    expect(refusal(() => checkJson('中'.repeat(MAX_JSON_BYTES / 3)))).toMatch(/larger/);
    expect(refusal(() => checkJson(new Array(MAX_JSON_BYTES).fill(0)))).toMatch(/larger/);
    expect(refusal(() => checkJson(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]))))).toMatch(/larger/);
  });

  it('refuses lone surrogates and NUL in keys and strings, and anything that is not JSON', () => {
    expect(refusal(() => checkJson({ ok: ['😀', { 'ké𝄞': 'ü' }] }))).toBeUndefined();
    expect(refusal(() => checkJson({ 'a\ud800': 1 }))).toMatch(/JSON keys must be well-formed Unicode/);
    expect(refusal(() => checkJson({ a: ['\udc00'] }))).toMatch(/JSON strings must be well-formed Unicode/);
    expect(refusal(() => checkJson({ 'a\u0000': 1 }))).toMatch(/JSON keys must not contain NUL/);
    expect(refusal(() => checkJson('\u0000'))).toMatch(/JSON strings must not contain NUL/);
    expect(refusal(() => checkJson({ n: Infinity }))).toMatch(/finite/);
    expect(refusal(() => checkJson({ d: new Date() }))).toMatch(/must be made of/);
  });

  it('checks literals against the same limits', () => {
    expect(parseJsonLiteral(parseValue('{ a: [1, "x", true, null, { b: 2.5 }] }'))).toEqual({ a: [1, 'x', true, null, { b: 2.5 }] });
    expect(parseJsonLiteral(parseValue('{ a: $v }'), { v: { b: 1 } })).toEqual({ a: { b: 1 } });
    expect(parseJsonLiteral(parseValue('[$v, { c: [$w, 3] }]'), { v: 'x', w: [1] })).toEqual(['x', { c: [[1], 3] }]);
    // An unset variable is dropped, as JSON.stringify drops undefined; an enum-like name is its string.
    expect(JSON.stringify(parseJsonLiteral(parseValue('{ a: $unset, b: 1 }'), {}))).toBe('{"b":1}');
    expect(parseJsonLiteral(parseValue('{ e: FOO }'))).toEqual({ e: 'FOO' });
    expect(refusal(() => parseJsonLiteral(parseValue('{a:'.repeat(33) + '1' + '}'.repeat(33))))).toMatch(/nested/);
    // A variable inside a literal counts towards the same depth.
    expect(refusal(() => parseJsonLiteral(parseValue('{ a: $v }'), { v: nestedObject(MAX_JSON_DEPTH) }))).toMatch(/nested/);
  });
});
