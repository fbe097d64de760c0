/**
 * Counts the subscription streams open on this instance (SSE and WebSocket
 * alike), so that a stopping server can wait until the subscribers have
 * received their runs' last events instead of polling for it. A stream
 * counts until it completes, fails, or its consumer returns it.
 */
import { isAsyncIterable, type Plugin } from 'graphql-yoga';
import { closingIterator } from '../services/async-iteration.js';

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
          setResult(closingIterator(result[Symbol.asyncIterator](), closed));
        },
      };
    },
  };
}
