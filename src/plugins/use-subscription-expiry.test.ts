import { describe, expect, it } from 'vitest';
import { endingAt } from './use-subscription-expiry.js';

/** A source that yields `values` and then waits forever, recording whether it was returned. */
function quietSource(values: number[]) {
  const state = { returned: false };
  let wake: (() => void) | undefined;
  const iterator: AsyncIterableIterator<number> = {
    async next() {
      if (values.length > 0) return { done: false, value: values.shift()! };
      if (state.returned) return { done: true, value: undefined };
      await new Promise<void>((resolve) => (wake = resolve));
      return { done: true, value: undefined };
    },
    async return() {
      state.returned = true;
      wake?.();
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { iterator, state };
}

describe('endingAt', () => {
  it('yields the source until the deadline, then the ending once, and returns the source at once', async () => {
    const { iterator, state } = quietSource([1, 2]);
    const ended = endingAt(iterator, Date.now() + 50, () => -1);
    const seen: number[] = [];
    for await (const value of ended) seen.push(value);
    expect(seen).toEqual([1, 2, -1]);
    expect(state.returned).toBe(true);
  });

  it('ends at once for a deadline already past', async () => {
    const { iterator, state } = quietSource([1]);
    const ended = endingAt(iterator, Date.now() - 1, () => -1);
    expect(await ended.next()).toEqual({ done: false, value: -1 });
    expect(await ended.next()).toEqual({ done: true, value: undefined });
    expect(state.returned).toBe(true);
  });

  it('passes a source that ends first through unchanged, and forwards return()', async () => {
    async function* three() {
      yield* [1, 2, 3];
    }
    const seen: number[] = [];
    for await (const value of endingAt(three(), Date.now() + 60_000, () => -1)) seen.push(value);
    expect(seen).toEqual([1, 2, 3]);

    const { iterator, state } = quietSource([]);
    const ended = endingAt(iterator, Date.now() + 60_000, () => -1);
    const pending = ended.next();
    await ended.return!();
    expect(state.returned).toBe(true);
    expect(await pending).toEqual({ done: true, value: undefined });
  });
});
