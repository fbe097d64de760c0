import { describe, expect, it, vi } from 'vitest';
import { EndedElsewhere, type RunEnding } from './run-ending.js';
import { RunRecorder } from './run-recorder.js';
import { EMPTY_USAGE } from './step-view.js';

const identity = { runId: 'run-1', conversationId: 'conv-1', assistantMessageId: 'msg-1' };
const done: RunEnding = { kind: 'done', finishReason: 'stop', usage: EMPTY_USAGE, iterations: 1 };

describe('RunRecorder', () => {
  it('merges consecutive deltas of one step into one event, with the offset of its first delta', () => {
    const recorder = new RunRecorder(identity);
    recorder.textDelta('Hel');
    recorder.textDelta('lo');
    const { events } = recorder.drain();
    expect(events).toEqual([expect.objectContaining({ type: 'text', seq: 1, index: 0, delta: 'Hello', offset: 0 })]);
    recorder.committed();
    recorder.textDelta(' world');
    expect(recorder.drain().events).toEqual([expect.objectContaining({ type: 'text', seq: 2, delta: ' world', offset: 5 })]);
  });

  it('starts a new step when thinking and text alternate, and after closeStep', () => {
    const recorder = new RunRecorder({ ...identity, lastSeq: 4 });
    recorder.thinkingDelta('hmm');
    recorder.textDelta('a');
    recorder.thinkingDelta('again');
    recorder.closeStep();
    recorder.thinkingDelta('next');
    const { events } = recorder.drain();
    expect(events.map((e) => [e.type, e.index, e.seq])).toEqual([
      ['thinking', 0, 5],
      ['text', 1, 6],
      ['thinking', 2, 7],
      ['thinking', 3, 8],
    ]);
    expect(recorder.steps.map((s) => s.seq)).toEqual([5, 6, 7, 8]);
  });

  it('never stores half a surrogate pair: a pair split across deltas is joined', () => {
    const recorder = new RunRecorder(identity);
    const smile = '\u{1F600}';
    recorder.textDelta(`a${smile[0]}`);
    recorder.textDelta(`${smile[1]}b`);
    recorder.finish(done);
    const { final } = recorder.drain();
    expect(final?.text).toBe(`a${smile}b`);
    expect(recorder.steps).toEqual([expect.objectContaining({ content: `a${smile}b` })]);
  });

  it('makes no step of text with nothing storable, and a lone surrogate at the end is made storable', () => {
    const recorder = new RunRecorder(identity);
    recorder.textDelta('');
    recorder.closeStep();
    expect(recorder.hasWork).toBe(false);
    recorder.textDelta('x\uD83D');
    recorder.finish(done);
    const { events } = recorder.drain();
    const text = events.filter((e) => e.type === 'text').map((e) => ('delta' in e ? e.delta : '')).join('');
    expect(text.startsWith('x')).toBe(true);
    expect(text.isWellFormed()).toBe(true);
  });

  it('records a tool call and its result as whole steps, the result pointing at the call step', () => {
    const recorder = new RunRecorder(identity);
    recorder.textDelta('let me see');
    const callStepId = recorder.toolCall({ toolCallId: 'c1', name: 'calc', arguments: '{}' });
    recorder.toolResult({ toolCallId: 'c1', callStepId, name: 'calc', content: '4', success: true, durationMs: 1 });
    const { events } = recorder.drain();
    expect(events.map((e) => e.type)).toEqual(['text', 'tool_call', 'tool_result']);
    expect(events[1]).toMatchObject({ stepId: callStepId, index: 1 });
    expect(events[2]).toMatchObject({ callStepId, index: 2 });
  });

  it('lifecycle: recording, ending (final written with the terminal event, retried until durable), ended', async () => {
    const recorder = new RunRecorder(identity);
    recorder.textDelta('answer');
    expect(recorder.state).toBe('recording');
    recorder.finish(done);
    expect(recorder.state).toBe('ending');
    recorder.textDelta('ignored');
    const first = recorder.drain();
    expect(first.final).toMatchObject({ status: 'COMPLETED', text: 'answer', removeMessage: false });
    // The write failed: the same events and final come back, with the same seqs.
    const again = recorder.drain();
    expect(again.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(again.final).toBe(first.final);
    let ended = false;
    void recorder.ended.then(() => (ended = true));
    recorder.committed();
    await Promise.resolve();
    expect(recorder.state).toBe('ended');
    expect(ended).toBe(true);
    expect(recorder.publishedSeq).toBe(2);
    expect(recorder.hasWork).toBe(false);
  });

  it('an error ending with no step removes the message; CANCELLED and INTERRUPTED keep their status', () => {
    const cancelled = new RunRecorder(identity);
    cancelled.finish({ kind: 'error', code: 'CANCELLED', message: 'stop', usage: EMPTY_USAGE, iterations: 0 });
    const { events, final } = cancelled.drain();
    expect(final).toMatchObject({ status: 'CANCELLED', removeMessage: true, errorCode: 'CANCELLED' });
    expect(events[0]).toMatchObject({ type: 'error', partialMessageId: null, retryable: false });
    const failed = new RunRecorder(identity);
    failed.textDelta('partial');
    failed.finish({ kind: 'error', code: 'PROVIDER_ERROR', message: 'x', usage: EMPTY_USAGE, iterations: 1 });
    expect(failed.drain().final).toMatchObject({ status: 'FAILED', removeMessage: false });
  });

  it('progress is written with the next tick, superseded by the final', () => {
    const onWork = vi.fn();
    const recorder = new RunRecorder({ ...identity, onWork });
    recorder.noteProgress(1, EMPTY_USAGE);
    expect(onWork).toHaveBeenCalledWith(false);
    expect(recorder.drain().progress).toEqual({ runId: 'run-1', iterations: 1, usage: EMPTY_USAGE });
    recorder.finish(done);
    expect(onWork).toHaveBeenLastCalledWith(true);
    expect(recorder.drain().progress).toBeUndefined();
  });

  it('tells the flusher once per batch of output, not per token', () => {
    const onWork = vi.fn();
    const recorder = new RunRecorder({ ...identity, onWork });
    for (let i = 0; i < 100; i++) recorder.textDelta('t');
    expect(onWork).toHaveBeenCalledTimes(1);
    expect(recorder.pendingSince).toBeTypeOf('number');
    recorder.drain();
    expect(recorder.pendingSince).toBeUndefined();
  });

  it('abandon drops unwritten output, ends the run and aborts endedElsewhere', async () => {
    const recorder = new RunRecorder(identity);
    recorder.textDelta('lost');
    recorder.drain();
    recorder.abandon();
    await recorder.ended;
    expect(recorder.state).toBe('abandoned');
    expect(recorder.hasWork).toBe(false);
    expect(recorder.endedElsewhere.reason).toBeInstanceOf(EndedElsewhere);
    recorder.finish(done);
    expect(recorder.hasWork).toBe(false);
  });

  it('followableFrom: only while recording, with no write under way and nothing published after `after`', () => {
    const recorder = new RunRecorder({ ...identity, lastSeq: 3 });
    expect(recorder.followableFrom(3)).toBe(true);
    expect(recorder.followableFrom(2)).toBe(false);
    recorder.textDelta('x');
    recorder.drain();
    expect(recorder.followableFrom(3)).toBe(false);
    recorder.committed();
    expect(recorder.followableFrom(4)).toBe(true);
    recorder.finish(done);
    expect(recorder.followableFrom(4)).toBe(false);
  });
});
