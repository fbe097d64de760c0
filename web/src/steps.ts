/**
 * Renders one assistant answer from its steps: thinking (collapsible), text,
 * tool calls with their results, and how the run ended. The same code draws
 * a stored message (`Message.steps`, each step with the seq of its last
 * event and its whole text in `delta`) and a live stream of events (`delta`
 * is what each event adds), so a reloaded page can draw the partial answer
 * and then apply the events that follow it.
 */

import { h } from './dom.js';
import { messageFrame } from './message.js';
import { MarkdownView } from './markdown-view.js';
import { toolCallCard, toolResultBlock } from './tool-card.js';

/** One selection for both Message.steps and chatSteps events. */
export const STEP_FIELDS = `
  __typename
  ... on ThinkingStep { id index seq delta }
  ... on TextStep { id index seq delta }
  ... on ToolCallStep { id index seq name arguments }
  ... on ToolResultStep { id index seq callStepId name content success durationMs }
  ... on DoneStep { id index seq finishReason tokenCount }
  ... on ErrorStep { id index seq code message }
`;

type Base = { id: string; index: number; seq: number };
export type Step = Base &
  (
    | { __typename: 'ThinkingStep' | 'TextStep'; delta: string }
    | { __typename: 'ToolCallStep'; name: string; arguments: string }
    | { __typename: 'ToolResultStep'; callStepId: string; name: string; content: string; success: boolean; durationMs: number }
    | { __typename: 'DoneStep'; finishReason: string; tokenCount: number }
    | { __typename: 'ErrorStep'; code: string; message: string }
  );

export interface RunSummary {
  status: string;
  error?: { code: string; message: string } | null;
}

const TERMINAL = new Set(['DoneStep', 'ErrorStep']);
export const isTerminal = (step: Step) => TERMINAL.has(step.__typename);

export class AnswerView {
  private readonly body = h('div', { class: 'steps' });
  private readonly status = h('div', { class: 'run-status' });
  private readonly frame = messageFrame({ role: 'assistant', body: this.body, copyText: () => this.answerText() });
  readonly el = this.frame.el;
  /** Where per-message actions go (copy is there already). */
  readonly actions = this.frame.actions;
  /** Per step: its element, what deltas are appended to, and the seq it reflects. */
  private readonly steps = new Map<string, { el: HTMLElement; append?: (delta: string) => void; seq: number }>();
  private readonly texts: MarkdownView[] = [];
  private readonly seen = new Set<number>();
  ended = false;

  constructor(live: boolean) {
    this.el.insertBefore(this.status, this.actions);
    this.frame.copy.hidden = true; // until there is text to copy
    if (live) this.setStatus('streaming', 'Answering…');
  }

  /** The newest seq this view reflects. */
  get lastSeq(): number {
    let max = 0;
    for (const seq of this.seen) max = Math.max(max, seq);
    for (const step of this.steps.values()) max = Math.max(max, step.seq);
    return max;
  }

  /** The answer's text (its Markdown source), what the copy button copies. */
  answerText(): string {
    return this.texts.map((view) => view.text).join('\n\n');
  }

  /**
   * Applies a stored step or a live event; returns false for one it already
   * has (a replay after a reconnect, or an event the stored steps include).
   */
  apply(step: Step): boolean {
    if (this.seen.has(step.seq)) return false;
    const known = this.steps.get(step.id);
    if (known && step.seq <= known.seq) return false;
    this.seen.add(step.seq);
    switch (step.__typename) {
      case 'ThinkingStep':
      case 'TextStep': {
        const entry = known ?? this.addTextStep(step);
        entry.append!(step.delta);
        entry.seq = step.seq;
        break;
      }
      case 'ToolCallStep': {
        const card = toolCallCard(step);
        this.place(card, step.index);
        this.steps.set(step.id, { el: card, seq: step.seq });
        break;
      }
      case 'ToolResultStep': {
        const result = toolResultBlock(step);
        const call = this.steps.get(step.callStepId);
        if (call) call.el.append(result);
        else this.place(result, step.index);
        this.steps.set(step.id, { el: result, seq: step.seq });
        break;
      }
      case 'DoneStep':
        this.end({ status: 'COMPLETED' }, step.tokenCount);
        break;
      case 'ErrorStep':
        this.end({ status: step.code === 'CANCELLED' ? 'CANCELLED' : 'FAILED', error: step });
        break;
    }
    return true;
  }

  /** Marks how the run ended (from its terminal event, or from a stored run). */
  end(run: RunSummary, tokenCount?: number | null) {
    this.ended = true;
    for (const view of this.texts) view.flush();
    for (const details of this.body.querySelectorAll('details')) details.open = false;
    if (run.status === 'COMPLETED') {
      this.setStatus('done', tokenCount != null ? `Done · ${tokenCount} tokens` : 'Done');
    } else if (run.status === 'CANCELLED') {
      const empty = !this.answerText().trim() && !this.body.querySelector('[data-step=tool-call]');
      this.setStatus('cancelled', empty ? 'Stopped before any answer.' : 'Stopped — the partial answer is kept.');
    } else if (run.status === 'QUEUED' || run.status === 'RUNNING') {
      this.setStatus('streaming', 'Answering…');
      this.ended = false;
    } else {
      this.setStatus('failed', `${run.error?.code ?? run.status}: ${run.error?.message ?? 'the run did not finish'}`);
    }
  }

  /** A client-side failure (lost connection, refused subscription). */
  fail(message: string) {
    for (const view of this.texts) view.flush();
    this.setStatus('failed', message);
  }

  private setStatus(kind: string, label: string) {
    this.status.className = `run-status ${kind}`;
    this.status.dataset.status = kind;
    this.status.textContent = label;
  }

  private addTextStep(step: Step & { __typename: 'ThinkingStep' | 'TextStep' }) {
    let el: HTMLElement;
    let append: (delta: string) => void;
    if (step.__typename === 'ThinkingStep') {
      const text = document.createTextNode('');
      el = h('details', { class: 'thinking', 'data-step': 'thinking' }, h('summary', {}, 'Thinking'), h('div', { class: 'thinking-text' }, text));
      (el as HTMLDetailsElement).open = !this.ended;
      append = (delta) => text.appendData(delta);
    } else {
      el = h('div', { class: 'text markdown', 'data-step': 'text' });
      const view = new MarkdownView(el);
      this.texts.push(view);
      this.frame.copy.hidden = false;
      append = (delta) => view.append(delta);
    }
    this.place(el, step.index);
    const entry = { el, append, seq: step.seq };
    this.steps.set(step.id, entry);
    return entry;
  }

  /** Keeps steps in index order whatever order they are applied in. */
  private place(el: HTMLElement, index: number) {
    el.dataset.index = String(index);
    const after = [...this.body.children].find((child) => Number((child as HTMLElement).dataset.index) > index);
    this.body.insertBefore(el, after ?? null);
  }
}
