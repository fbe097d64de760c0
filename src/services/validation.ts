/**
 * Shared input validation: zod schemas whose failures become
 * BadUserInputError with one readable sentence.
 */
import { z } from 'zod';
import { BadUserInputError } from './errors.js';

/** Parses `value` or throws BAD_USER_INPUT naming the field and the problem. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const message = result.error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
  throw new BadUserInputError(message);
}

/** An unpaired UTF-16 surrogate: with the `u` flag a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Why `value` cannot be stored as text, or undefined when it can. PostgreSQL
 * refuses a NUL in text and jsonb, and a lone surrogate either fails as
 * jsonb or is silently stored as U+FFFD (the UTF-8 encoder replaces it);
 * both are the client's error, not ours.
 */
export function textProblem(value: string): string | undefined {
  if (value.includes('\u0000')) return 'must not contain NUL (U+0000) characters';
  if (LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return undefined;
}

/** Adds the storable-text check to a string schema: use it for every input string that is stored. */
export function wellFormedText<S extends z.ZodString>(schema: S): S {
  return schema.check((ctx) => {
    const problem = textProblem(ctx.value);
    if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
  }) as S;
}

/** A bounded, storable string that may be null (an explicit null clears the field). */
export const text = (max: number) => wellFormedText(z.string().max(max, `must be at most ${max} characters`));

export const temperature = z
  .number()
  .min(0, 'must be between 0 and 2')
  .max(2, 'must be between 0 and 2');
