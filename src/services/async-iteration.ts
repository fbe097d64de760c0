/**
 * Async iterators whose cleanup does not depend on having started. An async
 * generator that is returned before its first `next()` never runs its
 * `finally`; a subscription that a client completes at once would then leak
 * what was opened for it (a live listener).
 */
export function closingIterator<T>(source: AsyncIterator<T>, onClose: () => void): AsyncIterableIterator<T> {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  return {
    async next() {
      try {
        const result = await source.next();
        if (result.done) close();
        return result;
      } catch (error) {
        close();
        throw error;
      }
    },
    async return(value?: unknown) {
      close();
      return (await source.return?.(value)) ?? { done: true, value: undefined };
    },
    async throw(error?: unknown) {
      close();
      if (source.throw) return source.throw(error);
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
