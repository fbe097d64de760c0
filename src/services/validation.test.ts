import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BadUserInputError } from './errors.js';
import { parseInput, text, textProblem, wellFormedText } from './validation.js';

describe('storable text', () => {
  it.each([
    ['plain', undefined],
    ['emoji 😀 and 𝄞', undefined],
    ['', undefined],
    ['a\u0000b', /NUL/],
    ['x\ud800', /lone surrogates/],
    ['\udc00x', /lone surrogates/],
    ['\udfff\ud83d', /lone surrogates/],
  ])('%j', (value, problem) => {
    if (problem) expect(textProblem(value)).toMatch(problem);
    else expect(textProblem(value)).toBeUndefined();
  });

  it('text() and wellFormedText() refuse it as BAD_USER_INPUT naming the field, and keep their other rules', () => {
    const schema = z.object({ title: text(5).nullish(), name: wellFormedText(z.string()).trim().min(1, 'must not be empty') });
    expect(parseInput(schema, { title: 'ok 😀', name: ' n ' })).toEqual({ title: 'ok 😀', name: 'n' });
    expect(() => parseInput(schema, { title: 'a\ud800', name: 'n' })).toThrow(new BadUserInputError('title: must be well-formed Unicode (no lone surrogates)'));
    expect(() => parseInput(schema, { name: 'a\u0000' })).toThrow(new BadUserInputError('name: must not contain NUL (U+0000) characters'));
    expect(() => parseInput(schema, { title: 'toolong', name: '   ' })).toThrow(/title: must be at most 5 characters; name: must not be empty/);
  });
});
