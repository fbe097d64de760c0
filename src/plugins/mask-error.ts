/**
 * The one place where errors become GraphQL errors: an AppError keeps its
 * message and gets `extensions.code`; a Pothos argument validation error is
 * BAD_USER_INPUT, and so is a variable that graphql-js could not coerce;
 * anything else is masked and logged once.
 */
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import { graphqlError } from '../graphql-error.js';
import type { Logger } from 'pino';
import { AppError } from '../services/errors.js';

export function maskError(error: unknown, message: string, log: Logger): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) {
    return graphqlError(original.message, original.code, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: original.extensions,
    });
  }
  if (original instanceof PothosValidationError) {
    return graphqlError(original.message, 'BAD_USER_INPUT', { path: error instanceof GraphQLError ? error.path : undefined });
  }
  // PostgreSQL cannot store U+0000 in text or jsonb: a NUL in any input string is bad input.
  if (isNulRejection(original)) {
    return graphqlError('Text must not contain NUL (U+0000) characters.', 'BAD_USER_INPUT', {
      path: error instanceof GraphQLError ? error.path : undefined,
    });
  }
  // Errors graphql-js raised itself carry no original error and are safe to show.
  if (error instanceof GraphQLError && !error.originalError) return error;
  // A variable that does not coerce (a string for a Float, an unknown input
  // field) arrives wrapped: graphql-js's GraphQLError around the scalar's or
  // input type's GraphQLError. That is bad input, not a crash.
  if (error instanceof GraphQLError && original instanceof GraphQLError) {
    return graphqlError(error.message, 'BAD_USER_INPUT', { nodes: error.nodes, path: error.path, extensions: error.extensions });
  }
  log.error({ err: original }, 'unexpected error');
  return graphqlError(message, 'INTERNAL_SERVER_ERROR', { path: error instanceof GraphQLError ? error.path : undefined });
}

/**
 * "invalid byte sequence for encoding UTF8: 0x00" (22021) or jsonb's "unsupported Unicode escape
 * sequence" (22P05): JavaScript strings reach PostgreSQL as valid UTF-8, so only a NUL causes them.
 */
function isNulRejection(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.code ?? e?.driverError?.code;
  return code === '22021' || code === '22P05';
}
