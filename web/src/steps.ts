/**
 * Renders one assistant answer from its steps: thinking (collapsible), text,
 * tool calls with their results, and how the run ended. The same code draws
 * a stored message (`Message.steps`, each step with the seq of its last
 * event and its whole text in `delta`) and a live stream of events (`delta`
 * is what each event adds), so a reloaded page can draw the partial answer
 * and then apply the events that follow it.
 */

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

/** A tiny element builder. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Record<string, string> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === 'class') el.className = value;
    else el.setAttribute(key, value);
  }
  el.append(...children);
  return el;
}

const TERMINAL = new Set(['DoneStep', 'ErrorStep']);
export const isTerminal = (step: Step) => TERMINAL.has(step.__typename);

const prettyJson = (raw: string) => {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
};

export class AnswerView {
  readonly el = h('article', { class: 'message assistant' });
  private readonly body = h('div', { class: 'steps' });
  private readonly status = h('div', { class: 'run-status' });
  /** Per step: its element, the text node deltas append to, and the seq it reflects. */
  private readonly steps = new Map<string, { el: HTMLElement; text?: Text; seq: number }>();
  private readonly seen = new Set<number>();
  ended = false;

  constructor(live: boolean) {
    this.el.append(this.body, this.status);
    if (live) this.setStatus('streaming', 'Answering…');
  }

  /** The newest seq this view reflects. */
  get lastSeq(): number {
    let max = 0;
    for (const seq of this.seen) max = Math.max(max, seq);
    for (const step of this.steps.values()) max = Math.max(max, step.seq);
    return max;
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
        entry.text!.appendData(step.delta);
        entry.seq = step.seq;
        break;
      }
      case 'ToolCallStep': {
        const card = h(
          'div',
          { class: 'tool-call', 'data-step': 'tool-call' },
          h('div', { class: 'tool-head' }, h('span', { class: 'tool-label' }, 'Tool call'), h('code', { class: 'tool-name' }, step.name)),
          h('pre', { class: 'tool-args' }, prettyJson(step.arguments)),
        );
        this.place(card, step.index);
        this.steps.set(step.id, { el: card, seq: step.seq });
        break;
      }
      case 'ToolResultStep': {
        const result = h(
          'div',
          { class: `tool-result ${step.success ? 'ok' : 'failed'}`, 'data-step': 'tool-result', 'data-success': String(step.success) },
          h(
            'div',
            { class: 'tool-head' },
            h('span', { class: 'tool-label' }, step.success ? 'Result' : 'Failed'),
            h('span', { class: 'tool-duration' }, `${step.durationMs} ms`),
          ),
          h('pre', { class: 'tool-content' }, step.content),
        );
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
    for (const details of this.body.querySelectorAll('details')) details.open = false;
    if (run.status === 'COMPLETED') {
      this.setStatus('done', tokenCount != null ? `Done · ${tokenCount} tokens` : 'Done');
    } else if (run.status === 'CANCELLED') {
      this.setStatus('cancelled', 'Stopped — the partial answer is kept.');
    } else if (run.status === 'QUEUED' || run.status === 'RUNNING') {
      this.setStatus('streaming', 'Answering…');
      this.ended = false;
    } else {
      this.setStatus('failed', `${run.error?.code ?? run.status}: ${run.error?.message ?? 'the run did not finish'}`);
    }
  }

  /** A client-side failure (lost connection, refused subscription). */
  fail(message: string) {
    this.setStatus('failed', message);
  }

  private setStatus(kind: string, label: string) {
    this.status.className = `run-status ${kind}`;
    this.status.dataset.status = kind;
    this.status.textContent = label;
  }

  private addTextStep(step: Step & { __typename: 'ThinkingStep' | 'TextStep' }) {
    const text = document.createTextNode('');
    let el: HTMLElement;
    if (step.__typename === 'ThinkingStep') {
      el = h('details', { class: 'thinking', 'data-step': 'thinking' }, h('summary', {}, 'Thinking'), h('div', { class: 'thinking-text' }, text));
      (el as HTMLDetailsElement).open = !this.ended;
    } else {
      el = h('div', { class: 'text', 'data-step': 'text' }, text);
    }
    this.place(el, step.index);
    const entry = { el, text, seq: step.seq };
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
