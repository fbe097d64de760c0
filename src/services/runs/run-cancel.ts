/**
 * Cancelling a run that executes on another instance: ask its owner over
 * the bus and wait, bounded, for the run's terminal event on the bus (no
 * polling). A run whose owner is gone is ended by the sweep of that one run
 * once its lease has expired.
 */
import type { EventBus, LiveEvents } from './event-bus.js';
import type { RunEventStore } from './run-event-store.js';
import { isTerminal } from './run-event.js';
import type { RunLeases } from './run-leases.js';

export interface CancelElsewhereDeps {
  store: Pick<RunEventStore, 'activeTail'>;
  bus: Pick<EventBus, 'listen' | 'requestCancel'>;
  leases: Pick<RunLeases, 'sweep'>;
}

/**
 * Asks the run's owner to cancel it and waits up to `waitMs` for its
 * terminal event. Throws ConflictError when the request cannot be
 * delivered (Redis unreachable): the caller may try again.
 */
export async function cancelElsewhere(deps: CancelElsewhereDeps, runId: string, waitMs: number): Promise<void> {
  const tail = await deps.store.activeTail(runId);
  if (tail === undefined) return;
  // Listening before asking, from the newest stored event, so the terminal event cannot slip past.
  const live = deps.bus.listen(runId, Number.POSITIVE_INFINITY, tail);
  let ended: boolean;
  try {
    await deps.bus.requestCancel(runId);
    // An ending published between the read and the listen reached no listener: storage has it.
    ended = (await deps.store.activeTail(runId)) === undefined || (await terminalWithin(live, waitMs));
  } finally {
    live.close();
  }
  if (!ended) await deps.leases.sweep(runId);
}

/** Whether a terminal event arrives within `ms`. */
async function terminalWithin(live: LiveEvents, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const terminal = (async () => {
    for await (const event of live) if (isTerminal(event)) return true;
    return false;
  })().catch(() => false);
  try {
    return await Promise.race([terminal, timeout]);
  } finally {
    clearTimeout(timer);
    live.close();
  }
}
