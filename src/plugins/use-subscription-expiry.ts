/**
 * Ends HTTP subscriptions (SSE, multipart) when the viewer's token expires,
 * as the WebSocket is closed with 4403 then: the stream's last result
 * carries UNAUTHENTICATED "Token expired", then it completes, so the client
 * knows to refresh its token and resubscribe (with `after`). WebSocket
 * operations are left to the socket's own expiry (src/ws-server.ts).
 * Imports no service: it reads the viewer from the context.
 */
import type { ExecutionResult } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { graphqlError } from '../graphql-error.js';
import type { GraphQLContext } from '../resolvers/context.js';

export const TOKEN_EXPIRED_MESSAGE = 'Token expired';

/** setTimeout's largest delay; a later expiry waits this long, then again. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export function useSubscriptionExpiry(): Plugin<GraphQLContext> {
  return {
    onSubscribe({ args }) {
      const ctx = args.contextValue as Partial<GraphQLContext>;
      const expiresAt = ctx.viewer?.expiresAt;
      if (ctx.transport !== 'http' || expiresAt === undefined) return;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          setResult(endingAt(result, expiresAt, expiredResult));
        },
      };
    },
  };
}

const expiredResult = (): ExecutionResult => ({
  errors: [graphqlError(TOKEN_EXPIRED_MESSAGE, 'UNAUTHENTICATED')],
});

const EXPIRED = Symbol('expired');

/**
 * `source` until `at` (ms since epoch), then `ending()` once and done; the
 * source is returned at once, so its listener goes away. A plain iterator,
 * not an async generator: a generator's `return()` would wait behind a
 * pending `next()` (a run that is quiet for minutes).
 */
export function endingAt<T>(source: AsyncIterable<T>, at: number, ending: () => T): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let ended = false;
  let due = false;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof EXPIRED>((resolve) => {
    const wait = () => {
      const left = at - Date.now();
      if (left <= 0) {
        due = true;
        return resolve(EXPIRED);
      }
      timer = setTimeout(wait, Math.min(left, MAX_TIMER_MS));
    };
    wait();
  });
  const end = async (value?: unknown) => {
    ended = true;
    clearTimeout(timer);
    return (await iterator.return?.(value)) ?? { done: true as const, value: undefined };
  };
  return {
    async next(): Promise<IteratorResult<T>> {
      if (ended) return { done: true, value: undefined };
      // Racing attaches a handler to the pending next(), so its later rejection is not unhandled.
      const result = due ? EXPIRED : await Promise.race([expired, iterator.next()]);
      if (result === EXPIRED) {
        void end().catch(() => {});
        return { done: false, value: ending() };
      }
      if (result.done) {
        ended = true;
        clearTimeout(timer);
      }
      return result;
    },
    async return(value?: unknown) {
      if (ended) return { done: true, value: undefined };
      return end(value) as Promise<IteratorResult<T>>;
    },
    async throw(error?: unknown) {
      ended = true;
      clearTimeout(timer);
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
