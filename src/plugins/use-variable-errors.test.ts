import { buildSchema, execute, GraphQLError, GraphQLScalarType, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { SafeInputError } from '../graphql-error.js';
import { redactVariableError } from './use-variable-errors.js';

const SECRET = 'sk-unit-secret-abcdef';

const schema = buildSchema(`
  enum Mode { FAST SLOW }
  scalar Checked
  input In { name: String!, count: Int, flag: Boolean, mode: Mode, tags: [String!], checked: Checked }
  type Query { q(input: In!): Int }
`);
// A scalar of ours: a SafeInputError keeps its message; any other error is generic.
Object.assign(schema.getType('Checked') as GraphQLScalarType, {
  parseValue(value: unknown) {
    if (value === 'ours') throw new SafeInputError('Checked says no.');
    if (value === 'coded') throw new GraphQLError(`no ${String(value)}`, { extensions: { code: 'BAD_USER_INPUT' } });
    throw new TypeError(`cannot read ${String(value)}`);
  },
});

/** The messages graphql-js itself writes for `input`, redacted. */
function redacted(input: unknown): string[] {
  const result = execute({ schema, document: parse('query($input: In!) { q(input: $input) }'), variableValues: { input } });
  if (result instanceof Promise || !result.errors) throw new Error('expected errors');
  return result.errors.map((e) => {
    expect(e.message).toMatch(/^Variable "\$input" got invalid value /);
    return redactVariableError(e.message, e.originalError)!;
  });
}

describe('redactVariableError', () => {
  it.each([
    [{ name: SECRET, bogus: 1 }, 'Variable "$input" got invalid value; Field "bogus" is not defined by type "In". Did you mean "tags"?'],
    [{ name: 'x', nam: SECRET }, 'Variable "$input" got invalid value; Field "nam" is not defined by type "In". Did you mean "name"?'],
    [{ name: 'x', [SECRET]: 1 }, 'Variable "$input" got invalid value; A field is not defined by type "In".'],
    [{ count: SECRET }, 'Variable "$input" got invalid value; Field "name" of required type "String!" was not provided.'],
    [{ name: 'x', count: SECRET }, 'Variable "$input" got invalid value at "input.count"; Int cannot represent non-integer value.'],
    [{ name: 'x', count: 2 ** 40 }, 'Variable "$input" got invalid value at "input.count"; Int cannot represent non 32-bit signed integer value.'],
    [{ name: [SECRET] }, 'Variable "$input" got invalid value at "input.name"; String cannot represent a non string value.'],
    [{ name: 'x', flag: SECRET }, 'Variable "$input" got invalid value at "input.flag"; Boolean cannot represent a non boolean value.'],
    [{ name: 'x', mode: SECRET }, 'Variable "$input" got invalid value at "input.mode"; Value does not exist in "Mode" enum.'],
    [{ name: 'x', mode: [SECRET] }, 'Variable "$input" got invalid value at "input.mode"; Enum "Mode" cannot represent non-string value.'],
    [{ name: 'x', tags: ['a', { SECRET }] }, 'Variable "$input" got invalid value at "input.tags[1]"; String cannot represent a non string value.'],
    [{ name: 'x', tags: [null] }, 'Variable "$input" got invalid value at "input.tags[0]"; Expected non-nullable type "String!" not to be null.'],
    [{ name: 'x', checked: 'ours' }, 'Variable "$input" got invalid value at "input.checked"; Checked says no.'],
    [{ name: 'x', checked: SECRET }, 'Variable "$input" got invalid value at "input.checked"; Expected type "Checked".'],
    [{ name: 'x', checked: 'coded' }, 'Variable "$input" got invalid value at "input.checked"; The value is not valid.'],
    [SECRET, 'Variable "$input" got invalid value; Expected type "In" to be an object.'],
  ])('%j', (input, expected) => {
    const messages = redacted(input);
    expect(messages[0]).toBe(expected);
    for (const message of messages) expect(message).not.toContain(SECRET);
  });

  it('leaves other errors alone and hides a reason it cannot attribute', () => {
    expect(redactVariableError('Cannot query field "x" on type "Query".')).toBeUndefined();
    expect(redactVariableError(`Variable "$input" got invalid value "${SECRET}"; something`)).toBe(
      'Variable "$input" got invalid value; The value is not valid.',
    );
  });
});
