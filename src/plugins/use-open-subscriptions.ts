/**
 * Counts the subscription streams open on this instance (SSE and WebSocket
 * alike), so that a stopping server can wait until the subscribers have
 * received their runs' last events instead of polling for it. A stream
 * counts until it completes, fails, or its consumer returns it.
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

export interface OpenSubscriptions {
  readonly count: number;
  /** Resolves once no subscription stream is open (at once when none is). */
  idle(): Promise<void>;
}

export function useOpenSubscriptions(): Plugin & OpenSubscriptions {
  let count = 0;
  let waiters: (() => void)[] = [];
  const closed = () => {
    count -= 1;
    if (count > 0) return;
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };
  return {
    get count() {
      return count;
    },
    idle: () => (count === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
    onSubscribe() {
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) return;
          count += 1;
          setResult(onceEnded(result, closed));
        },
      };
    },
  };
}

/**
 * `source`, calling `ended` once when it is done, fails or is returned. A
 * plain iterator, not an async generator, whose `return()` would wait
 * behind a pending `next()`.
 */
function onceEnded<T>(source: AsyncIterable<T>, ended: () => void): AsyncIterableIterator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let done = false;
  const end = () => {
    if (done) return;
    done = true;
    ended();
  };
  return {
    async next() {
      try {
        const result = await iterator.next();
        if (result.done) end();
        return result;
      } catch (error) {
        end();
        throw error;
      }
    },
    async return(value?: unknown) {
      // The consumer is gone: there is nothing left to deliver to it.
      end();
      return (await iterator.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      end();
      if (iterator.throw) return iterator.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
