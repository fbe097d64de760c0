/**
 * Async iterators whose cleanup does not depend on having started. An async
 * generator that is returned before its first `next()` never runs its
 * `finally`; a subscription that a client completes at once would then leak
 * what was opened for it (a live listener).
 */
export function closingIterator<T>(
  source: AsyncIterator<T>,
  onClose: () => void,
  /** Sees each value before it is handed on; what it throws ends the iteration (the source is returned) with that error. */
  inspect?: (value: T) => void,
): AsyncIterableIterator<T> {
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    onClose();
  };
  return {
    async next() {
      let result: IteratorResult<T>;
      try {
        result = await source.next();
        if (result.done) close();
      } catch (error) {
        close();
        throw error;
      }
      if (!result.done && inspect) {
        try {
          inspect(result.value);
        } catch (error) {
          close();
          await source.return?.();
          throw error;
        }
      }
      return result;
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
