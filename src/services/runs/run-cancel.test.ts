import { describe, expect, it, vi } from 'vitest';
import { ConflictError } from '../errors.js';
import { InProcessEventBus } from './event-bus.js';
import { cancelElsewhere } from './run-cancel.js';
import type { RunStreamEvent } from './run-event.js';

const RUN = 'run-1';
const cancelled = (seq: number): RunStreamEvent => ({
  type: 'error', runId: RUN, seq, stepId: 's', index: 0, code: 'CANCELLED', message: 'cancelled', retryable: false, partialMessageId: null,
});

/** The owner elsewhere: `onRequest` is what it does when asked to cancel. */
function setup(tails: (number | undefined)[], onRequest: (bus: InProcessEventBus) => void = () => {}) {
  const bus = new InProcessEventBus();
  const requestCancel = vi.fn(async () => onRequest(bus));
  const deps = {
    store: { activeTail: vi.fn(async () => tails.shift()) },
    bus: { listen: bus.listen.bind(bus), requestCancel },
    leases: { sweep: vi.fn(async () => 0) },
  };
  return { deps, bus };
}

describe('cancelElsewhere', () => {
  it('returns as soon as the run\'s terminal event arrives on the bus, polling nothing', async () => {
    const { deps, bus } = setup([7, 7], (b) => setTimeout(() => b.publish(RUN, [cancelled(8)]), 20));
    const started = performance.now();
    await cancelElsewhere(deps, RUN, 5_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(deps.store.activeTail).toHaveBeenCalledTimes(2);
    expect(deps.leases.sweep).not.toHaveBeenCalled();
    expect(bus.listenerCount).toBe(0);
  });

  it('an ending that came between the first read and the listener is found in storage', async () => {
    const { deps } = setup([7, undefined]);
    await cancelElsewhere(deps, RUN, 5_000);
    expect(deps.leases.sweep).not.toHaveBeenCalled();
  });

  it('a run that has ended is not asked', async () => {
    const { deps } = setup([undefined]);
    await cancelElsewhere(deps, RUN, 5_000);
    expect(deps.bus.requestCancel).not.toHaveBeenCalled();
  });

  it('no ending within the bound: sweeps that one run (its owner may be dead)', async () => {
    const { deps, bus } = setup([3, 3]);
    await cancelElsewhere(deps, RUN, 50);
    expect(deps.leases.sweep).toHaveBeenCalledWith(RUN);
    expect(bus.listenerCount).toBe(0);
  });

  it('a request that cannot be delivered is CONFLICT, and leaves no listener', async () => {
    const { deps, bus } = setup([3, 3]);
    deps.bus.requestCancel.mockRejectedValueOnce(new ConflictError('unreachable'));
    await expect(cancelElsewhere(deps, RUN, 50)).rejects.toBeInstanceOf(ConflictError);
    expect(bus.listenerCount).toBe(0);
    expect(deps.leases.sweep).not.toHaveBeenCalled();
  });
});
