/**
 * The shape of every error the server answers with: `extensions.code` is an
 * ErrorCode. Declared once on graphql's own `GraphQLErrorExtensions`, so the
 * compiler checks the code of every GraphQLError built anywhere (ours,
 * yoga's `createGraphQLError`), not only those built through `graphqlError`.
 */
import { GraphQLError, type GraphQLErrorOptions } from 'graphql';
import type { ErrorCode } from './services/errors.js';

declare module 'graphql' {
  interface GraphQLErrorExtensions {
    code?: ErrorCode;
  }
}

/** A GraphQLError with `extensions.code` (and any further extensions, such as `http`). */
export function graphqlError(message: string, code: ErrorCode, options: GraphQLErrorOptions = {}): GraphQLError {
  return new GraphQLError(message, { ...options, extensions: { ...options.extensions, code } });
}

/**
 * A scalar's refusal whose message never quotes the value, so it is shown
 * as it is. (A class, not an extension: graphql-tools writes `code` into the
 * extensions that a coercion error shares with its inner error.)
 */
export class SafeInputError extends GraphQLError {
  constructor(message: string) {
    super(message, { extensions: { code: 'BAD_USER_INPUT' } });
  }
}
