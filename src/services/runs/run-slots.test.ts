import { describe, expect, it } from 'vitest';
import { RunSlots } from './run-slots.js';

const never = () => new AbortController().signal;
/** Lets granted waiters' promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('RunSlots', () => {
  it('grants at once while slots are free, then queues', async () => {
    const slots = new RunSlots(2);
    const granted: string[] = [];
    const track = (name: string, user: string) => slots.acquire(user, never()).then((release) => (granted.push(name), release));
    const a = await track('a', 'u1');
    await track('b', 'u1');
    void track('c', 'u1');
    await settle();
    expect(granted).toEqual(['a', 'b']);
    expect(slots.queued).toBe(1);
    a();
    a(); // a second release gives nothing back
    await settle();
    expect(granted).toEqual(['a', 'b', 'c']);
    expect(slots.queued).toBe(0);
  });

  it('gives a freed slot to the waiting user with the fewest runs executing, a newcomer first among equals', async () => {
    const slots = new RunSlots(3);
    const releases: Record<string, () => void> = {};
    const order: string[] = [];
    const take = (name: string, user: string) =>
      void slots.acquire(user, never()).then((release) => {
        order.push(name);
        releases[name] = release;
      });
    // The heavy user fills every slot and queues more; then two others arrive.
    for (const name of ['h1', 'h2', 'h3', 'h4', 'h5']) take(name, 'heavy');
    take('x1', 'x');
    take('y1', 'y');
    take('y2', 'y');
    await settle();
    expect(order).toEqual(['h1', 'h2', 'h3']);
    releases.h1!();
    await settle();
    expect(order.at(-1)).toBe('x1'); // x and y hold none; x waited first
    releases.h2!();
    await settle();
    expect(order.at(-1)).toBe('y1');
    releases.h3!();
    await settle();
    // heavy holds none now, y holds one: heavy's turn before y's second run.
    expect(order.at(-1)).toBe('h4');
  });

  it('drops an aborted waiter from the queue and rejects it with the reason', async () => {
    const slots = new RunSlots(1);
    const release = await slots.acquire('u', never());
    const controller = new AbortController();
    const waiting = slots.acquire('v', controller.signal);
    controller.abort(new Error('cancelled'));
    await expect(waiting).rejects.toThrow('cancelled');
    expect(slots.queued).toBe(0);
    release();
    await expect(slots.acquire('w', never())).resolves.toBeTypeOf('function');
  });

  /** Acquires in order, recording each grant's name; the releases by name. */
  function recorder(slots: RunSlots) {
    const order: string[] = [];
    const releases = new Map<string, () => void>();
    const take = (name: string, user: string, signal = never()) =>
      slots.acquire(user, signal).then((release) => {
        order.push(name);
        releases.set(name, release);
        return release;
      });
    const release = (name: string) => releases.get(name)!();
    return { order, take, release };
  }

  it("serves each user's runs first come first served", async () => {
    const slots = new RunSlots(1);
    const { order, take, release } = recorder(slots);
    for (const name of ['a', 'b', 'c', 'd']) void take(name, 'u');
    await settle();
    for (const name of ['a', 'b', 'c']) {
      release(name);
      await settle();
    }
    expect(order).toEqual(['a', 'b', 'c', 'd']);
  });

  it('takes turns between users holding as many slots, the one served longest ago first', async () => {
    const slots = new RunSlots(2);
    const { order, take, release } = recorder(slots);
    void take('a1', 'a');
    void take('b1', 'b');
    for (const name of ['a2', 'a3', 'a4']) void take(name, 'a');
    for (const name of ['b2', 'b3', 'b4']) void take(name, 'b');
    void take('c1', 'c');
    await settle();
    expect(order).toEqual(['a1', 'b1']);
    // c holds none: first. Then a and b each hold one; a was served longest ago.
    for (const name of ['a1', 'b1', 'c1', 'a2', 'b2', 'a3']) {
      release(name);
      await settle();
    }
    expect(order).toEqual(['a1', 'b1', 'c1', 'a2', 'b2', 'a3', 'b3', 'a4']);
  });

  it('refuses at once a signal that aborted before the call, even with a slot free', async () => {
    const slots = new RunSlots(1);
    const controller = new AbortController();
    controller.abort(new Error('gone already'));
    await expect(slots.acquire('u', controller.signal)).rejects.toThrow('gone already');
    await expect(slots.acquire('u', never())).resolves.toBeTypeOf('function');
  });

  it('keeps the slot of a waiter that aborts in the tick its slot is granted, until it releases', async () => {
    const slots = new RunSlots(1);
    const { order, take, release } = recorder(slots);
    await take('first', 'u');
    const controller = new AbortController();
    const granted = take('aborting', 'v', controller.signal);
    void take('next', 'w');
    release('first'); // grants 'aborting' synchronously...
    controller.abort(new Error('too late')); // ...so this abort finds it gone from the queue
    await expect(granted).resolves.toBeTypeOf('function');
    await settle();
    expect(order).toEqual(['first', 'aborting']);
    expect(slots.queued).toBe(1);
    release('aborting');
    await settle();
    expect(order).toEqual(['first', 'aborting', 'next']);
  });

  it('serves the next waiter when a waiter aborts in the tick a slot frees', async () => {
    const slots = new RunSlots(1);
    const { order, take, release } = recorder(slots);
    await take('first', 'u');
    const controller = new AbortController();
    const aborted = take('aborting', 'v', controller.signal);
    void take('next', 'w');
    controller.abort(new Error('cancelled'));
    release('first');
    await expect(aborted).rejects.toThrow('cancelled');
    await settle();
    expect(order).toEqual(['first', 'next']);
    expect(slots.queued).toBe(0);
  });

  it('gives a slot back once however often it is released', async () => {
    const slots = new RunSlots(1);
    const { order, take, release } = recorder(slots);
    await take('a', 'u');
    void take('b', 'u');
    void take('c', 'v');
    await settle();
    release('a');
    release('a');
    await settle();
    expect(order).toEqual(['a', 'c']); // v held none: before u's second run
    expect(slots.queued).toBe(1);
    release('c');
    await settle();
    expect(order).toEqual(['a', 'c', 'b']);
  });

  it('serves every waiter as slots free, and grants at once when none wait', async () => {
    const slots = new RunSlots(2);
    const { order, take, release } = recorder(slots);
    const names = Array.from({ length: 10 }, (_, i) => `r${i}`);
    names.forEach((name, i) => void take(name, `user${i % 3}`));
    await settle();
    expect(order).toHaveLength(2);
    while (order.length < names.length) {
      const running = order.length;
      release(order[running - 2]!);
      await settle();
      expect(order).toHaveLength(running + 1);
    }
    release(order.at(-2)!);
    release(order.at(-1)!);
    expect(slots.queued).toBe(0);
    await expect(take('later', 'user0')).resolves.toBeTypeOf('function');
    await take('again', 'user1');
    expect(order.slice(-2)).toEqual(['later', 'again']);
  });
});

