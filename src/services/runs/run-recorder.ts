/**
 * The in-memory state of one active run: its steps so far and the events
 * not yet flushed. The agent loop writes here synchronously (no I/O per
 * token); the flusher drains it every tick. Consecutive deltas of one step
 * merge into one pending event, so a fast provider costs a few events per
 * tick, not one per token. The recorder owns its lifecycle: other modules
 * move it on only through finish, committed and abandon.
 */
import { randomUUID } from 'node:crypto';
import type { StoredStep, StoredUsage, ToolCallFields, ToolResultFields } from '../../entities/index.js';
import { storable } from '../storable.js';
import type { RunSink } from './agent-loop.js';
import { OpenTextStep, type TextAdded } from './open-text-step.js';
import { EndedElsewhere, storableEnding, terminalOf, type RunEnding, type RunFinal, type RunIdentity, type RunProgress } from './run-ending.js';
import { isTerminal, type PendingEvent, type RunStreamEvent } from './run-event.js';

export interface RunRecorderOptions extends RunIdentity {
  /** The seq of the run's newest stored event: the next one takes the seq after it. */
  lastSeq?: number;
  /** The run's steps as stored so far (a run continued from storage); the recorder adds to them. */
  steps?: StoredStep[];
  /** Output arrived and none was waiting (urgent), or progress alone (not urgent): the flusher schedules a tick. */
  onWork?: (urgent: boolean) => void;
}

type Lifecycle =
  | { state: 'recording' }
  /** The terminal event is queued or being written; `final` is written with it. */
  | { state: 'ending'; final: RunFinal }
  /** The terminal event is durable and published. */
  | { state: 'ended' }
  /** Ended without this recorder: nothing more is recorded or written here. */
  | { state: 'abandoned' };

export class RunRecorder implements RunSink {
  readonly runId: string;
  private readonly identity: RunIdentity;
  readonly steps: StoredStep[];
  private lifecycle: Lifecycle = { state: 'recording' };
  private open?: OpenTextStep;
  private pending: PendingEvent[] = [];
  private oldestPendingAt?: number;
  /** Drained but not yet durable (a failed write is retried with the same seqs). */
  private inflight: RunStreamEvent[] = [];
  /** Progress not yet written, and progress drained but not yet durable. */
  private progress?: RunProgress;
  private inflightProgress?: RunProgress;
  private nextSeq: number;
  private lastPublishedSeq: number;
  private readonly hooks: Pick<RunRecorderOptions, 'onWork'>;
  private readonly abandonment = new AbortController();
  /** Aborts (with EndedElsewhere) when the run's ending is stored without this recorder. */
  readonly endedElsewhere = this.abandonment.signal;
  private resolveEnded: () => void = () => {};
  /** Resolves once the terminal event is durable and published, or the run was abandoned. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor({ lastSeq = 0, steps = [], onWork, ...identity }: RunRecorderOptions) {
    this.identity = identity;
    this.runId = identity.runId;
    this.steps = steps;
    this.nextSeq = lastSeq + 1;
    this.lastPublishedSeq = lastSeq;
    this.hooks = { onWork };
  }

  get state(): Lifecycle['state'] {
    return this.lifecycle.state;
  }

  /** The terminal event is queued (or the run was abandoned): nothing more is recorded. */
  get finished(): boolean {
    return this.lifecycle.state !== 'recording';
  }

  /** When the oldest output not yet drained was recorded (ms since epoch). */
  get pendingSince(): number | undefined {
    return this.oldestPendingAt;
  }

  /** The seq of the newest event published to followers (all before it are too). */
  get publishedSeq(): number {
    return this.lastPublishedSeq;
  }

  /**
   * A follower from `after` needs no storage read: the run is recording, no
   * write is under way (it may hold events a storage read already showed
   * someone) and nothing after `after` has been published, so everything
   * it needs will reach a listener attached now.
   */
  followableFrom(after: number): boolean {
    return !this.finished && !this.writing && this.lastPublishedSeq <= after;
  }

  thinkingDelta(delta: string): void {
    this.delta('thinking', delta);
  }

  textDelta(delta: string): void {
    this.delta('text', delta);
  }

  /** Ends the open thinking or text step (a new iteration starts new steps). */
  closeStep(): void {
    const open = this.open;
    this.open = undefined;
    if (open && !this.finished) this.queueText(open.close());
  }

  toolCall(call: ToolCallFields): string {
    return this.addStep({ type: 'tool_call', ...storable(call) });
  }

  toolResult(result: ToolResultFields): void {
    this.addStep({ type: 'tool_result', ...storable(result) });
  }

  /**
   * Notes an LLM call starting, for the run's row (written with the next
   * tick, so a run ended by the sweep after a crash keeps what it used).
   */
  noteProgress(iterations: number, usage: StoredUsage): void {
    if (this.finished) return;
    this.progress = { runId: this.runId, iterations, usage };
    this.arrived(false);
  }

  /** Queues the terminal event; nothing more is recorded after it. */
  finish(ending: RunEnding): void {
    if (this.finished) return;
    this.closeStep();
    const { event, final } = terminalOf(this.identity, storableEnding(ending), this.steps, randomUUID());
    this.queue(event);
    this.lifecycle = { state: 'ending', final };
  }

  /**
   * Takes everything to write this tick, seqs assigned; with the run's final
   * state once its terminal event is among them (which supersedes progress).
   * Call `committed` after the write succeeds, or nothing (the same events
   * come back next tick).
   */
  drain(): { events: RunStreamEvent[]; final?: RunFinal; progress?: RunProgress } {
    this.oldestPendingAt = undefined;
    for (const event of this.pending) {
      const withSeq = { ...event, seq: this.nextSeq++ } as RunStreamEvent;
      this.inflight.push(withSeq);
      const step = this.steps[withSeq.index];
      if (step && step.id === withSeq.stepId) step.seq = withSeq.seq;
    }
    this.pending = [];
    if (this.progress) this.inflightProgress = this.progress;
    this.progress = undefined;
    const final = this.lifecycle.state === 'ending' && this.inflight.some(isTerminal) ? this.lifecycle.final : undefined;
    if (final) this.inflightProgress = undefined;
    return { events: this.inflight, final, progress: this.inflightProgress };
  }

  /** The drained events are durable and published; with the terminal event among them, the run has ended. */
  committed(): void {
    const endedNow = this.inflight.some(isTerminal);
    this.lastPublishedSeq = this.inflight.at(-1)?.seq ?? this.lastPublishedSeq;
    this.inflight = [];
    this.inflightProgress = undefined;
    if (endedNow && this.lifecycle.state === 'ending') {
      this.lifecycle = { state: 'ended' };
      this.resolveEnded();
    }
  }

  /** The run's ending was stored without this recorder (refused output, another instance's sweep): its unwritten output is dropped. */
  abandon(): void {
    if (this.lifecycle.state === 'ended' || this.lifecycle.state === 'abandoned') return;
    this.lifecycle = { state: 'abandoned' };
    this.pending = [];
    this.inflight = [];
    this.progress = undefined;
    this.inflightProgress = undefined;
    this.oldestPendingAt = undefined;
    this.abandonment.abort(new EndedElsewhere());
    this.resolveEnded();
  }

  /** Drained events whose write has not succeeded yet. */
  get writing(): boolean {
    return this.inflight.length > 0;
  }
  /** Events to write (new, or drained and not yet durable). */
  get hasOutput(): boolean {
    return this.pending.length > 0 || this.inflight.length > 0;
  }

  get hasWork(): boolean {
    return this.hasOutput || this.progress !== undefined || this.inflightProgress !== undefined;
  }

  private queue(event: PendingEvent): void {
    if (this.lifecycle.state === 'abandoned') return;
    const firstOutput = this.pending.length === 0;
    this.pending.push(event);
    this.arrived(firstOutput);
  }

  /** Tells the flusher when the first output (urgent) or progress (not) since the last drain arrives. */
  private arrived(firstOutput: boolean): void {
    const wasIdle = this.oldestPendingAt === undefined;
    this.oldestPendingAt ??= Date.now();
    if (wasIdle || firstOutput) this.hooks.onWork?.(firstOutput);
  }

  /** A tool call or result: a whole step in one event. Returns its id. */
  private addStep(fields: ({ type: 'tool_call' } & ToolCallFields) | ({ type: 'tool_result' } & ToolResultFields)): string {
    const id = randomUUID();
    if (this.finished) return id;
    this.closeStep();
    const index = this.steps.length;
    this.steps.push({ ...fields, id, index, seq: 0 });
    this.queue({ ...fields, runId: this.runId, stepId: id, index });
    return id;
  }

  private delta(type: 'thinking' | 'text', raw: string): void {
    if (this.finished) return;
    if (this.open?.type !== type) {
      this.closeStep();
      this.open = new OpenTextStep(type, this.steps, randomUUID);
    }
    this.queueText(this.open.take(raw));
  }

  /** Queues storable text, merged into the pending event of its step if there is one. */
  private queueText(added: TextAdded | undefined): void {
    if (!added) return;
    const { step, delta, offset } = added;
    const last = this.pending.at(-1);
    if (last && (last.type === 'thinking' || last.type === 'text') && last.stepId === step.id) {
      last.delta += delta;
      return;
    }
    this.queue({ type: step.type, runId: this.runId, stepId: step.id, index: step.index, delta, offset });
  }
}
