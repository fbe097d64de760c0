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

/** A bounded string that may be null (an explicit null clears the field). */
export const text = (max: number) => z.string().max(max, `must be at most ${max} characters`);

export const temperature = z
  .number()
  .min(0, 'must be between 0 and 2')
  .max(2, 'must be between 0 and 2');
