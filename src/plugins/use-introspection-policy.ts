/**
 * INTROSPECTION: who may query `__schema` and `__type`. `anonymous` (the
 * development default) lets anyone, as GraphiQL and codegen need;
 * `authenticated` (the production default) answers UNAUTHENTICATED without a
 * viewer; `off` answers FORBIDDEN to everyone. `__typename` is not
 * introspection of the schema and always answers. Checked at execution,
 * where the context knows the viewer; WebSocket operations always have one.
 */
import { BREAK, Kind, visit, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { IntrospectionAccess } from '../config.js';
import { graphqlError } from '../graphql-error.js';
import type { GraphQLContext } from '../resolvers/context.js';

const INTROSPECTION_FIELDS = new Set(['__schema', '__type']);

export function useIntrospectionPolicy(access: IntrospectionAccess): Plugin<GraphQLContext> {
  if (access === 'anonymous') return {};
  return {
    onExecute({ args, setResultAndStopExecution }) {
      const ctx = args.contextValue as Partial<GraphQLContext>;
      if (access === 'authenticated' && ctx.viewer) return;
      if (!introspects(args.document)) return;
      const error =
        access === 'off'
          ? graphqlError('Introspection is turned off on this server.', 'FORBIDDEN')
          : graphqlError(
              // The reason a given token was refused (expired, malformed) says more than the generic hint.
              ctx.authError?.message ?? 'Introspection needs a token: send "Authorization: Bearer <token>".',
              'UNAUTHENTICATED',
            );
      setResultAndStopExecution({ errors: [error] });
    },
  };
}

/**
 * Whether a document selects `__schema` or `__type`. Those exist only on the
 * query root, so in a validated document any field of that name is one,
 * whether selected directly or through a fragment.
 */
function introspects(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    [Kind.FIELD](node) {
      if (INTROSPECTION_FIELDS.has(node.name.value)) {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}
