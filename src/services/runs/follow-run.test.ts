import { describe, expect, it } from 'vitest';
import { InProcessEventBus } from './event-bus.js';
import { followRun, openFollow, type FollowDeps } from './follow-run.js';
import type { RunEventStore } from './run-event-store.js';
import type { RunStreamEvent } from './run-event.js';
import type { StepView } from './step-view.js';

const RUN = 'run-1';

function text(seq: number, delta = `t${seq}`): RunStreamEvent {
  return { type: 'text', runId: RUN, seq, stepId: 'step-0', index: 0, delta, offset: seq - 1 };
}

function done(seq: number): RunStreamEvent {
  return {
    type: 'done', runId: RUN, seq, stepId: 'step-done', index: 1,
    messageId: 'msg', tokenCount: 0, usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0, reasoningTokens: null },
    iterations: 1, finishReason: 'stop',
  };
}

/** A store holding `stored` events; `active` while the run has no terminal event among them. */
function fakeStore(stored: RunStreamEvent[]) {
  const store = {
    stored,
    async openFollow(_runId: string, userId: string, after: number) {
      if (userId !== 'viewer') return undefined;
      return { active: !stored.some((e) => e.type === 'done'), events: stored.filter((e) => e.seq > after) };
    },
    async readAfter(_runId: string, after: number) {
      return stored.filter((e) => e.seq > after);
    },
    async stepPrefix(_runId: string, stepId: string, beforeSeq: number) {
      return stored
        .filter((e) => e.stepId === stepId && e.seq < beforeSeq)
        .map((e) => ('delta' in e ? e.delta : ''))
        .join('');
    },
  };
  return store as typeof store & RunEventStore;
}

async function collect(iterator: AsyncIterable<StepView>, whileReading?: (seen: StepView[]) => void): Promise<StepView[]> {
  const seen: StepView[] = [];
  for await (const step of iterator) {
    seen.push(step);
    whileReading?.(seen);
  }
  return seen;
}

/** Stores then publishes, as the flusher does: durable before visible. */
function publish(deps: FollowDeps & { store: ReturnType<typeof fakeStore> }, events: RunStreamEvent[]) {
  deps.store.stored.push(...events);
  deps.bus.publish(RUN, events);
}

describe('followRun', () => {
  it('replays what is stored, then goes on live, with no gap and no duplicate at the seam', async () => {
    const deps = { store: fakeStore([text(1), text(2), text(3)]), bus: new InProcessEventBus(), maxLag: 100 };
    const start = await openFollow(deps, RUN, 'viewer', 1);
    if (!start) throw new Error('no start');
    // Published after the listener was attached but covered by the replay: dropped once.
    deps.bus.publish(RUN, [text(3)]);
    const steps = await collect(followRun(deps, RUN, 1, start), (seen) => {
      if (seen.length === 2) publish(deps, [text(4), done(5)]);
    });
    expect(steps.map((s) => s.seq)).toEqual([2, 3, 4, 5]);
    expect(steps[0]).toMatchObject({ delta: 't2', content: 't1t2' });
    expect(steps[2]).toMatchObject({ content: 't1t2t3t4' });
    expect(deps.bus.listenerCount).toBe(0);
  });

  it('fills a gap in the live stream from storage', async () => {
    const deps = { store: fakeStore([text(1)]), bus: new InProcessEventBus(), maxLag: 100 };
    const start = await openFollow(deps, RUN, 'viewer', 0);
    if (!start) throw new Error('no start');
    const steps = await collect(followRun(deps, RUN, 0, start), (seen) => {
      if (seen.length !== 1) return;
      // Events 2 and 3 were stored but their publish never reached this listener.
      deps.store.stored.push(text(2), text(3));
      publish(deps, [text(4), done(5)]);
    });
    expect(steps.map((s) => s.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it('a finished run replays and ends; `after` at or beyond its end ends at once', async () => {
    const events = [text(1), text(2), done(3)];
    for (const [after, seqs] of [[0, [1, 2, 3]], [3, []], [50, []]] as const) {
      const deps = { store: fakeStore([...events]), bus: new InProcessEventBus(), maxLag: 100 };
      const start = await openFollow(deps, RUN, 'viewer', after);
      if (!start) throw new Error('no start');
      expect((await collect(followRun(deps, RUN, after, start))).map((s) => s.seq)).toEqual(seqs);
      expect(deps.bus.listenerCount).toBe(0);
    }
  });

  it('`after` beyond the end of an active run waits for events past it', async () => {
    const deps = { store: fakeStore([text(1)]), bus: new InProcessEventBus(), maxLag: 100 };
    const start = await openFollow(deps, RUN, 'viewer', 3);
    if (!start) throw new Error('no start');
    const following = collect(followRun(deps, RUN, 3, start));
    publish(deps, [text(2), text(3), text(4), done(5)]);
    expect((await following).map((s) => s.seq)).toEqual([4, 5]);
  });

  it('another user\'s run is no run: no start, no listener left', async () => {
    const deps = { store: fakeStore([text(1)]), bus: new InProcessEventBus(), maxLag: 100 };
    expect(await openFollow(deps, RUN, 'someone-else', 0)).toBeUndefined();
    expect(deps.bus.listenerCount).toBe(0);
  });
});
