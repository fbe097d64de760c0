/**
 * The one Pothos builder. Plugins: scope-auth (who may call what; without a
 * viewer only introspection answers), relay (global ids, connections),
 * dataloader (per-request batching of relations).
 */
import SchemaBuilder from '@pothos/core';
import DataloaderPlugin from '@pothos/plugin-dataloader';
import RelayPlugin from '@pothos/plugin-relay';
import ScopeAuthPlugin from '@pothos/plugin-scope-auth';
import { GraphQLError } from 'graphql';
import type { GraphQLContext } from '../resolvers/context.js';
import { ForbiddenError, UnauthenticatedError } from '../services/errors.js';
import { isAdmin } from '../services/users/viewer.js';
import { MAX_JSON_BYTES, MAX_JSON_DEPTH, parseJsonLiteral, parseJsonValue } from './json-scalar.js';

export const builder = new SchemaBuilder<{
  Context: GraphQLContext;
  AuthScopes: { authenticated: boolean; admin: boolean };
  Scalars: {
    DateTime: { Input: Date; Output: Date | string };
    JSON: { Input: unknown; Output: unknown };
  };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  plugins: [ScopeAuthPlugin, RelayPlugin, DataloaderPlugin],
  // Fields are non-null unless they say otherwise, as the contract writes them.
  defaultFieldNullability: false,
  scopeAuth: {
    authScopes: (ctx) => ({ authenticated: ctx.viewer !== null, admin: ctx.viewer !== null && isAdmin(ctx.viewer) }),
    unauthorizedError: (_parent, ctx, _info, result) =>
      ctx.viewer
        ? new ForbiddenError(result.message)
        : (ctx.authError ?? new UnauthenticatedError('Sign in: send "Authorization: Bearer <token>".')),
    // Subscriptions are checked when they start, not per event.
    authorizeOnSubscribe: true,
  },
  relay: {
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false },
    nodeFieldOptions: { nullable: false },
    // `node` is defined by hand (src/schema/node.ts) so malformed ids answer null instead of an error.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
  },
});

builder.scalarType('DateTime', {
  description: 'ISO-8601 string',
  serialize: (value) => (value instanceof Date ? value.toISOString() : new Date(value).toISOString()),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : undefined;
    if (!date || Number.isNaN(date.getTime())) throw new GraphQLError('DateTime must be an ISO-8601 string');
    return date;
  },
});

builder.scalarType('JSON', {
  description: `Any JSON value: at most ${MAX_JSON_DEPTH} levels deep and ${MAX_JSON_BYTES} bytes as JSON text, strings without NUL or lone surrogates`,
  serialize: (value) => value,
  // Depth, size and storable strings are checked here, so every JSON input gets the limits.
  parseValue: parseJsonValue,
  parseLiteral: parseJsonLiteral,
});

builder.queryType({ authScopes: { authenticated: true } });
builder.mutationType({ authScopes: { authenticated: true } });

