/**
 * The in-memory state of one active run: its steps so far and the events
 * not yet flushed. The agent loop writes here synchronously (no I/O per
 * token); the flusher drains it every tick. Consecutive deltas of one step
 * merge into one pending event, so a fast provider costs a few events per
 * tick, not one per token.
 */
import { randomUUID } from 'node:crypto';
import type {
  RunErrorCode,
  RunStatus,
  StoredStep,
  StoredUsage,
  ToolCallFields,
  ToolResultFields,
} from '../../entities/index.js';
import type { RunSink } from './agent-loop.js';
import { RETRYABLE_CODES } from '../llm/llm-errors.js';
import type { PendingEvent, RunStreamEvent } from './run-event.js';
import { EMPTY_USAGE } from './step-view.js';
import { storable, storableText, storableUsage, SurrogateJoiner } from '../storable.js';

export type RunEnding =
  | { kind: 'done'; finishReason: string; usage: StoredUsage; iterations: number }
  | { kind: 'error'; code: RunErrorCode; message: string; usage: StoredUsage; iterations: number };

/** An active run's progress for its row: the LLM calls so far (the first marks it RUNNING). */
export interface RunProgress {
  runId: string;
  iterations: number;
  usage: StoredUsage;
}

/** What the run's row and assistant message become when it ends; written with its terminal event. */
export interface RunFinal {
  runId: string;
  conversationId: string;
  assistantMessageId: string;
  /** The assistant message is removed: the run produced no step at all. */
  removeMessage: boolean;
  status: RunStatus;
  errorCode: RunErrorCode | null;
  errorMessage: string | null;
  usage: StoredUsage;
  iterations: number;
  text: string;
  steps: StoredStep[];
  tokenCount: number;
}

const STATUS_BY_CODE: Partial<Record<RunErrorCode, RunStatus>> = { CANCELLED: 'CANCELLED', INTERRUPTED: 'INTERRUPTED' };

/** Message.text: the non-empty text steps joined by a blank line. */
export function messageText(steps: StoredStep[]): string {
  return steps
    .filter((s) => s.type === 'text' && s.content.length > 0)
    .map((s) => (s as { content: string }).content)
    .join('\n\n');
}

export class RunRecorder implements RunSink {
  readonly steps: StoredStep[] = [];
  /** The thinking or text step being streamed (created with its first storable text). */
  private open?: { type: 'thinking' | 'text'; joiner: SurrogateJoiner; step?: StoredStep & { content: string } };
  private pending: PendingEvent[] = [];
  /** When the oldest output not yet drained was recorded (ms since epoch). */
  pendingSince?: number;
  /** Called when output arrives and none was waiting (the flusher schedules a tick); progress alone is not urgent. */
  onWork?: (urgent: boolean) => void;
  /** Drained but not yet durable (a failed write is retried with the same seqs). */
  private inflight: RunStreamEvent[] = [];
  /** Progress not yet written, and progress drained but not yet durable. */
  private progress?: RunProgress;
  private inflightProgress?: RunProgress;
  private nextSeq: number;
  /** The seq of the newest event published to followers (all before it are too). */
  publishedSeq: number;
  private final?: RunFinal;
  private finalDrained = false;
  /** Another instance ended the run (its sweep): nothing more is recorded or written here. */
  abandoned = false;
  private resolveEnded!: () => void;
  /** Resolves once the terminal event is durable and published. */
  readonly ended = new Promise<void>((resolve) => {
    this.resolveEnded = resolve;
  });

  constructor(
    readonly runId: string,
    readonly conversationId: string,
    readonly assistantMessageId: string,
    lastSeq = 0,
  ) {
    this.nextSeq = lastSeq + 1;
    this.publishedSeq = lastSeq;
  }

  get finished(): boolean {
    return this.final !== undefined;
  }

  thinkingDelta(delta: string): void {
    this.delta('thinking', delta);
  }

  textDelta(delta: string): void {
    this.delta('text', delta);
  }

  /** Ends the open thinking or text step (a new iteration starts new steps). */
  closeStep(): void {
    if (this.open) this.append(this.open.joiner.flush());
    this.open = undefined;
  }

  toolCall(call: ToolCallFields): string {
    if (this.final) return randomUUID();
    call = storable(call);
    this.closeStep();
    const step = { type: 'tool_call' as const, id: randomUUID(), index: this.steps.length, seq: 0, ...call };
    this.steps.push(step);
    this.queue({ type: 'tool_call', runId: this.runId, stepId: step.id, index: step.index, ...call });
    return step.id;
  }

  toolResult(result: ToolResultFields): void {
    if (this.final) return;
    result = storable(result);
    this.closeStep();
    const step = { type: 'tool_result' as const, id: randomUUID(), index: this.steps.length, seq: 0, ...result };
    this.steps.push(step);
    this.queue({ type: 'tool_result', runId: this.runId, stepId: step.id, index: step.index, ...result });
  }

  /**
   * Notes an LLM call starting, for the run's row (written with the next
   * tick, so a run ended by the sweep after a crash keeps what it used).
   */
  noteProgress(iterations: number, usage: StoredUsage): void {
    if (this.final || this.abandoned) return;
    this.progress = { runId: this.runId, iterations, usage };
    this.arrived(false);
  }

  /** Queues the terminal event; nothing more is recorded after it. */
  finish(ending: RunEnding): void {
    if (this.final || this.abandoned) return;
    this.closeStep();
    ending = storableEnding(ending);
    const removeMessage = ending.kind === 'error' && this.steps.length === 0;
    const stepId = randomUUID();
    const index = this.steps.length;
    const tokenCount = ending.usage.completionTokens;
    if (ending.kind === 'done') {
      this.queue({
        type: 'done',
        runId: this.runId,
        stepId,
        index,
        messageId: this.assistantMessageId,
        tokenCount,
        usage: ending.usage,
        iterations: ending.iterations,
        finishReason: ending.finishReason,
      });
    } else {
      this.queue({
        type: 'error',
        runId: this.runId,
        stepId,
        index,
        code: ending.code,
        message: ending.message,
        retryable: RETRYABLE_CODES.includes(ending.code),
        partialMessageId: removeMessage ? null : this.assistantMessageId,
      });
    }
    this.final = {
      runId: this.runId,
      conversationId: this.conversationId,
      assistantMessageId: this.assistantMessageId,
      removeMessage,
      status: ending.kind === 'done' ? 'COMPLETED' : (STATUS_BY_CODE[ending.code] ?? 'FAILED'),
      errorCode: ending.kind === 'error' ? ending.code : null,
      errorMessage: ending.kind === 'error' ? ending.message : null,
      usage: ending.usage,
      iterations: ending.iterations,
      text: messageText(this.steps),
      steps: this.steps,
      tokenCount,
    };
  }

  /**
   * Takes everything to write this tick, seqs assigned; with the run's final
   * state once its terminal event is among them (which supersedes progress).
   * Call `committed` after the write succeeds, or nothing (the same events
   * come back next tick).
   */
  drain(): { events: RunStreamEvent[]; final?: RunFinal; progress?: RunProgress } {
    this.pendingSince = undefined;
    for (const event of this.pending) {
      const withSeq = { ...event, seq: this.nextSeq++ } as RunStreamEvent;
      this.inflight.push(withSeq);
      const step = this.steps[withSeq.index];
      if (step && step.id === withSeq.stepId) step.seq = withSeq.seq;
    }
    this.pending = [];
    const hasTerminal = this.final !== undefined && !this.finalDrained && this.inflight.some((e) => e.type === 'done' || e.type === 'error');
    if (this.progress) this.inflightProgress = this.progress;
    this.progress = undefined;
    if (hasTerminal) this.inflightProgress = undefined;
    return { events: this.inflight, final: hasTerminal ? this.final : undefined, progress: this.inflightProgress };
  }

  /**
   * Another instance ended the run while it still ran here: its unwritten
   * output is dropped (that instance's ending is what is stored) and the
   * run counts as ended.
   */
  abandon(): void {
    this.abandoned = true;
    this.pending = [];
    this.inflight = [];
    this.progress = undefined;
    this.inflightProgress = undefined;
    this.pendingSince = undefined;
    this.resolveEnded();
  }

  /** The drained events are durable (and published, in the same synchronous step). */
  committed(): void {
    const endedNow = this.inflight.some((e) => e.type === 'done' || e.type === 'error');
    this.publishedSeq = this.inflight.at(-1)?.seq ?? this.publishedSeq;
    this.inflight = [];
    this.inflightProgress = undefined;
    if (endedNow) {
      this.finalDrained = true;
      this.resolveEnded();
    }
  }

  private queue(event: PendingEvent): void {
    if (this.abandoned) return;
    const firstOutput = this.pending.length === 0;
    this.pending.push(event);
    this.arrived(firstOutput);
  }

  /** Tells the flusher when the first output (urgent) or progress (not) since the last drain arrives. */
  private arrived(firstOutput: boolean): void {
    const wasIdle = this.pendingSince === undefined;
    this.pendingSince ??= Date.now();
    if (wasIdle || firstOutput) this.onWork?.(firstOutput);
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

  private delta(type: 'thinking' | 'text', raw: string): void {
    if (this.final) return;
    if (this.open?.type !== type) {
      this.closeStep();
      this.open = { type, joiner: new SurrogateJoiner() };
    }
    this.append(this.open.joiner.take(raw));
  }

  /** Adds storable text to the open step, merging it into the pending event of that step if there is one. */
  private append(delta: string): void {
    const open = this.open;
    if (!open || this.final || delta.length === 0) return;
    if (!open.step) {
      open.step = { type: open.type, id: randomUUID(), index: this.steps.length, seq: 0, content: '' };
      this.steps.push(open.step);
    }
    const step = open.step;
    const offset = step.content.length;
    step.content += delta;
    const last = this.pending[this.pending.length - 1];
    if (last && (last.type === 'thinking' || last.type === 'text') && last.stepId === step.id) {
      last.delta += delta;
      return;
    }
    this.queue({ type: open.type, runId: this.runId, stepId: step.id, index: step.index, delta, offset });
  }
}

/** An ending's provider-given strings and counts, made storable. */
function storableEnding(ending: RunEnding): RunEnding {
  const usage = storableUsage(ending.usage);
  return ending.kind === 'done'
    ? { ...ending, usage, finishReason: storableText(ending.finishReason) }
    : { ...ending, usage, message: storableText(ending.message) };
}

export const ZERO_USAGE = EMPTY_USAGE;
