import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Flusher } from './flusher.js';
import type { OutputPart } from './run-output.js';
import { EndedElsewhere } from './run-ending.js';
import { EMPTY_USAGE } from './step-view.js';

const run = (n: number) => ({ runId: `run-${n}`, conversationId: `conv-${n}`, assistantMessageId: `msg-${n}` });
const done = { kind: 'done', finishReason: 'stop', usage: EMPTY_USAGE, iterations: 1 } as const;
/** An error of the database itself (no SQLSTATE: the connection): retried. */
const connectionLost = () => Object.assign(new Error('connection terminated'), {});
/** The database refuses the data (invalid_text_representation): never retried as is. */
const refused = () => Object.assign(new Error('bad data'), { code: '22P02' });

function setup(commit: (parts: OutputPart[]) => Promise<void> = async () => {}, intervalMs = 5) {
  const commits: { at: number; parts: OutputPart[] }[] = [];
  const output = {
    commit: vi.fn(async (parts: OutputPart[]) => {
      commits.push({ at: performance.now(), parts: parts.map(({ runId, events, final, progress }) => structuredClone({ runId, events, final, progress })) });
      await commit(parts);
    }),
    publishStored: vi.fn(async () => {}),
  };
  const endings = { end: vi.fn(async () => true) };
  const log = pino({ level: 'silent' });
  const error = vi.spyOn(log, 'error');
  const flusher = new Flusher({ output, endings, intervalMs, log });
  return { flusher, output, endings, commits, error };
}

describe('Flusher', () => {
  it('writes the output of every run in one commit per tick, then tells the recorders', async () => {
    const { flusher, commits } = setup();
    const a = flusher.record(run(1));
    const b = flusher.record(run(2));
    a.textDelta('a');
    b.textDelta('b');
    await flusher.flushNow();
    expect(commits).toHaveLength(1);
    expect(commits[0]?.parts.map((p) => [p.runId, p.events.map((e) => e.seq)])).toEqual([
      ['run-1', [1]],
      ['run-2', [1]],
    ]);
    expect(a.publishedSeq).toBe(1);
    expect(b.publishedSeq).toBe(1);
  });

  it('ticks by itself: the first output at once, later output an interval after the last tick', async () => {
    const { flusher, commits } = setup(async () => {}, 40);
    const recorder = flusher.record(run(1));
    recorder.textDelta('first');
    await expect.poll(() => commits.length, { timeout: 1_000, interval: 1 }).toBe(1);
    recorder.textDelta('second');
    await expect.poll(() => commits.length, { timeout: 1_000, interval: 1 }).toBe(2);
    expect((commits[1]?.at ?? 0) - (commits[0]?.at ?? 0)).toBeGreaterThanOrEqual(35);
    await flusher.stop();
  });

  it('a refused write falls back to one write per run: the others go through, the refused run is ended from storage and stopped', async () => {
    const { flusher, commits, endings } = setup(async (parts) => {
      if (parts.some((p) => p.runId === 'run-2')) throw refused();
    });
    const good = flusher.record(run(1));
    const bad = flusher.record(run(2));
    good.textDelta('fine');
    bad.textDelta('poison');
    await flusher.flushNow();
    expect(commits.map((c) => c.parts.map((p) => p.runId))).toEqual([['run-1', 'run-2'], ['run-1'], ['run-2']]);
    expect(good.publishedSeq).toBe(1);
    expect(endings.end).toHaveBeenCalledWith('run-2', expect.objectContaining({ code: 'INTERNAL' }));
    expect(bad.state).toBe('abandoned');
    expect(bad.endedElsewhere.reason).toBeInstanceOf(EndedElsewhere);
  });

  it('keeps everything (same seqs) while the database fails, backing off, and logs it once', async () => {
    let failures = 3;
    const { flusher, commits, error } = setup(async () => {
      if (failures-- > 0) throw connectionLost();
    }, 10);
    const recorder = flusher.record(run(1));
    recorder.textDelta('kept');
    await expect.poll(() => recorder.publishedSeq, { timeout: 2_000, interval: 2 }).toBe(1);
    expect(commits.map((c) => c.parts[0]?.events.map((e) => e.seq))).toEqual([[1], [1], [1], [1]]);
    const gaps = commits.slice(1).map((c, i) => c.at - (commits[i]?.at ?? 0));
    // 10 ms doubled per failed tick: 20, 40, 80.
    expect(gaps[0]).toBeGreaterThanOrEqual(18);
    expect(gaps[2]).toBeGreaterThanOrEqual(75);
    expect(error).toHaveBeenCalledTimes(1);
    await flusher.stop();
  });

  it('resolves a run as ended once its terminal event is written, and forgets its recorder', async () => {
    const { flusher, commits } = setup();
    const recorder = flusher.record(run(1));
    recorder.textDelta('answer');
    recorder.finish(done);
    await flusher.flushNow();
    await recorder.ended;
    expect(commits[0]?.parts[0]?.final).toMatchObject({ status: 'COMPLETED', text: 'answer' });
    expect(recorder.state).toBe('ended');
    expect(flusher['recorders'].size).toBe(0);
  });
});
