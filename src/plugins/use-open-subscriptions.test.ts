import { describe, expect, it } from 'vitest';
import { useOpenSubscriptions } from './use-open-subscriptions.js';

type SubscribeResultHook = (payload: { result: unknown; setResult(result: AsyncIterable<unknown>): void }) => void;

/** Runs the plugin's hook on one subscription result, as envelop does, and returns what it set. */
function subscribe(plugin: ReturnType<typeof useOpenSubscriptions>, source: AsyncIterable<unknown>): AsyncIterator<unknown> {
  let result = source;
  const hooks = (plugin.onSubscribe as unknown as () => { onSubscribeResult: SubscribeResultHook })();
  hooks.onSubscribeResult({ result: source, setResult: (wrapped) => (result = wrapped) });
  return result[Symbol.asyncIterator]();
}

async function* events(count: number, thenWait = false) {
  for (let i = 1; i <= count; i++) yield i;
  if (thenWait) await new Promise(() => {});
}

const settled = async (promise: Promise<unknown>) => {
  let done = false;
  void promise.then(() => (done = true));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
};

describe('useOpenSubscriptions', () => {
  it('is idle at once with no stream open', async () => {
    const plugin = useOpenSubscriptions();
    expect(plugin.count).toBe(0);
    expect(await settled(plugin.idle())).toBe(true);
  });

  it('counts a stream until it completes', async () => {
    const plugin = useOpenSubscriptions();
    const stream = subscribe(plugin, events(2));
    expect(plugin.count).toBe(1);
    const idle = plugin.idle();
    expect(await stream.next()).toEqual({ done: false, value: 1 });
    expect(await stream.next()).toEqual({ done: false, value: 2 });
    expect(await settled(idle)).toBe(false);
    expect(await stream.next()).toEqual({ done: true, value: undefined });
    expect(await settled(idle)).toBe(true);
    expect(plugin.count).toBe(0);
  });

  it('stops counting a stream its consumer returns, and a stream that fails', async () => {
    const plugin = useOpenSubscriptions();
    const returned = subscribe(plugin, events(1, true));
    const failing = subscribe(
      plugin,
      (async function* () {
        yield 1;
        throw new Error('broken');
      })(),
    );
    expect(plugin.count).toBe(2);
    await returned.next();
    await returned.return?.();
    expect(plugin.count).toBe(1);
    await failing.next();
    await expect(failing.next()).rejects.toThrow('broken');
    expect(plugin.count).toBe(0);
    expect(await settled(plugin.idle())).toBe(true);
    // Ending twice counts once.
    await returned.return?.();
    expect(plugin.count).toBe(0);
  });

  it('leaves results that are not streams alone', () => {
    const plugin = useOpenSubscriptions();
    const hooks = (plugin.onSubscribe as unknown as () => { onSubscribeResult: SubscribeResultHook })();
    hooks.onSubscribeResult({ result: { data: {} }, setResult: () => expect.unreachable() });
    expect(plugin.count).toBe(0);
  });
});
