/**
 * Limits on GraphQL documents (graphql-armor): depth, aliases, tokens, cost
 * and directives. A refused document answers QUERY_TOO_COMPLEX, over HTTP
 * and WebSocket alike (the rules run in validation). Introspection is not
 * limited: GraphiQL and codegen need it.
 */
import { EnvelopArmorPlugin } from '@escape.tech/graphql-armor';
import type { GraphQLError, ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { graphqlError } from '../graphql-error.js';
import type { Limits } from '../config.js';

/** Armor's own plugin: it adds the limits' plugins in its place in the list. */
export function useQueryLimits(limits: Limits): Plugin {
  // Report with our code instead of armor's "Syntax Error" without one: in validation as a
  // validation error, while parsing (the token limit, no context yet) by throwing it.
  const onReject = [
    (context: ValidationContext | null, error: GraphQLError) => {
      const refusal = graphqlError(error.message.replace(/^Syntax Error: /, ''), 'QUERY_TOO_COMPLEX');
      if (!context) throw refusal;
      context.reportError(refusal);
    },
  ];
  const common = { onReject, propagateOnRejection: false };
  return EnvelopArmorPlugin({
    maxDepth: { n: limits.queryDepth, ignoreIntrospection: true, ...common },
    maxAliases: { n: limits.queryAliases, allowList: [], ...common },
    maxTokens: { n: limits.queryTokens, ...common },
    costLimit: { maxCost: limits.queryCost, ignoreIntrospection: true, ...common },
    maxDirectives: { n: limits.queryDirectives, ...common },
    // Field suggestions stay: they help the people exploring the API.
    blockFieldSuggestion: { enabled: false },
  });
}
