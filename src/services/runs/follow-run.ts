/**
 * Follows a run: every event with seq > after, replayed from storage, then
 * live, with no gap and no duplicate at the seam. The live listener is
 * attached before the replay is read, so nothing published in between is
 * missed; events the replay already covered are dropped; a gap in the live
 * stream (a follower that fell behind the bus) is filled from storage.
 * Ends after the terminal event, or at once for a finished run with
 * nothing left after `after`. The first read also tells whether the run
 * exists for the viewer and is still active, in one statement.
 */
import { SubscriberTooSlowError } from '../errors.js';
import { ListenerOverflowError, type EventBus, type LiveEvents } from './event-bus.js';
import { isTerminal, type RunStreamEvent } from './run-event.js';
import { REPLAY_PAGE, type RunEventStore } from './run-event-store.js';
import type { StepView } from './step-view.js';

export interface FollowDeps {
  store: RunEventStore;
  bus: EventBus;
  /** How many live events a follower may fall behind before it is dropped. */
  maxLag: number;
  /** A start known without reading storage (see RunExecutor.localFollowStart), checked after the listener is attached. */
  localStart?: (runId: string, userId: string, after: number) => { active: boolean; events: RunStreamEvent[] } | undefined;
}

/** Where a follow starts: a live listener attached first, then one read of the run (see openFollow). */
export interface FollowStart {
  live: LiveEvents;
  /** The run could still produce events when the first page was read. */
  active: boolean;
  /** The first page of stored events after `after`. */
  events: RunStreamEvent[];
}

/** Attaches the live listener, then reads the run; undefined (listener closed) when the viewer has no such run. */
export async function openFollow(deps: FollowDeps, runId: string, userId: string, after: number): Promise<FollowStart | undefined> {
  const live = deps.bus.listen(runId, deps.maxLag, after); // before the read, or events slip past
  try {
    const opened = deps.localStart?.(runId, userId, after) ?? (await deps.store.openFollow(runId, userId, after));
    if (!opened) live.close();
    return opened && { live, ...opened };
  } catch (error) {
    live.close();
    throw error;
  }
}

/** Turns stream events into client steps, keeping each text step's whole content. */
class ContentTracker {
  private readonly contents = new Map<string, string>();
  constructor(private readonly store: RunEventStore) {}

  async view(event: RunStreamEvent): Promise<StepView> {
    const { runId: _runId, stepId, ...rest } = event;
    if (event.type !== 'thinking' && event.type !== 'text') return { ...rest, id: stepId } as StepView;
    let before = this.contents.get(stepId);
    if (before === undefined) {
      before = event.offset === 0 ? '' : await this.store.stepPrefix(event.runId, stepId, event.seq);
    }
    const content = before + event.delta;
    this.contents.set(stepId, content);
    return { type: event.type, id: stepId, index: event.index, seq: event.seq, delta: event.delta, content };
  }
}

export async function* followRun(deps: FollowDeps, runId: string, after: number, start: FollowStart): AsyncGenerator<StepView> {
  let live = start.live;
  const tracker = new ContentTracker(deps.store);
  let last = after;
  try {
    let first: RunStreamEvent[] | undefined = start.events;
    // Pages of stored events after `last`; a short page was all there was when it was read.
    const replay = async function* () {
      for (;;) {
        let page: RunStreamEvent[];
        if (first) {
          page = first;
          first = undefined;
        } else {
          // A long replay may outlast the live buffer: listen afresh before the next read,
          // which then covers everything the dropped buffer held (it was stored first).
          if (live.overflowed) live = deps.bus.listen(runId, deps.maxLag, last);
          page = await deps.store.readAfter(runId, last);
        }
        yield* page;
        if (page.length < REPLAY_PAGE) return;
      }
    };
    for await (const event of replay()) {
      last = event.seq;
      yield await tracker.view(event);
      if (isTerminal(event)) return;
    }
    // Ended before the first read: every event was in storage and has been replayed.
    if (!start.active) return;
    for await (const event of live) {
      if (event.seq <= last) continue; // already replayed
      if (event.seq > last + 1) {
        for await (const missed of replay()) {
          if (missed.seq >= event.seq) break;
          last = missed.seq;
          yield await tracker.view(missed);
        }
      }
      if (event.seq <= last) continue;
      last = event.seq;
      yield await tracker.view(event);
      if (isTerminal(event)) return;
    }
  } catch (error) {
    if (error instanceof ListenerOverflowError) throw new SubscriberTooSlowError(last);
    throw error;
  } finally {
    live.close();
  }
}
