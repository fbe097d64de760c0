/**
 * Logs every GraphQL operation once it has run: its name and type, how long
 * it took, the error codes it answered with, under the request's logger
 * (requestId, userId). Variables and results are not logged: they hold
 * message text.
 */
import type { Plugin } from 'graphql-yoga';
import { getOperationAST } from 'graphql';
import type { GraphQLContext } from '../resolvers/context.js';

export function useOperationLog(): Plugin<GraphQLContext> {
  return {
    onExecute({ args }) {
      const started = performance.now();
      const operation = getOperationAST(args.document, args.operationName);
      return {
        onExecuteDone({ result }) {
          const context = args.contextValue as GraphQLContext;
          if (!context.log || Symbol.asyncIterator in Object(result)) return;
          const errors = 'errors' in result && result.errors ? result.errors.map((e) => e.extensions?.code ?? 'ERROR') : [];
          context.log.info(
            {
              operation: operation?.name?.value ?? null,
              type: operation?.operation,
              durationMs: Math.round(performance.now() - started),
              ...(errors.length > 0 ? { errors } : {}),
            },
            'graphql operation',
          );
        },
      };
    },
    onSubscribe({ args }) {
      const context = args.contextValue as GraphQLContext;
      const operation = getOperationAST(args.document, args.operationName);
      context.log?.info({ operation: operation?.name?.value ?? null, type: 'subscription' }, 'graphql subscription');
    },
  };
}
