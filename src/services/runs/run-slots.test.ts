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
});
