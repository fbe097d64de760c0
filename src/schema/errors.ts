/**
 * The one place where errors become GraphQL errors: an AppError keeps its
 * message and gets `extensions.code`; a Pothos argument validation error is
 * BAD_USER_INPUT, and so is a variable that graphql-js could not coerce;
 * anything else is masked and logged once.
 */
import { PothosValidationError } from '@pothos/core';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { AppError } from '../services/errors.js';

export function maskError(error: unknown, message: string, log: Logger): Error {
  const original = error instanceof GraphQLError ? (error.originalError ?? error) : error;
  if (original instanceof AppError) {
    return new GraphQLError(original.message, {
      nodes: error instanceof GraphQLError ? error.nodes : undefined,
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: original.code, ...original.extensions },
    });
  }
  if (original instanceof PothosValidationError) {
    return new GraphQLError(original.message, {
      path: error instanceof GraphQLError ? error.path : undefined,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  // Errors graphql-js raised itself carry no original error and are safe to show.
  if (error instanceof GraphQLError && !error.originalError) return error;
  // A variable that does not coerce (a string for a Float, an unknown input
  // field) arrives wrapped: graphql-js's GraphQLError around the scalar's or
  // input type's GraphQLError. That is bad input, not a crash.
  if (error instanceof GraphQLError && original instanceof GraphQLError) {
    return new GraphQLError(error.message, {
      nodes: error.nodes,
      path: error.path,
      extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
    });
  }
  log.error({ err: original }, 'unexpected error');
  return new GraphQLError(message, {
    path: error instanceof GraphQLError ? error.path : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}
