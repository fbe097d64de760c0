/**
 * A tool call as a card: the tool's name, its arguments, and (appended
 * when it arrives) its result. Arguments and results that are JSON are
 * pretty-printed alike; anything else is shown as it came.
 */
import { h } from './dom.js';
import type { Step } from './steps.js';

type Of<T extends Step['__typename']> = Extract<Step, { __typename: T }>;

export const prettyJson = (raw: string) => {
  try {
    return JSON.stringify(JSON.parse(raw), null, 2);
  } catch {
    return raw;
  }
};

export function toolCallCard(step: Of<'ToolCallStep'>): HTMLElement {
  return h(
    'div',
    { class: 'tool-call', 'data-step': 'tool-call' },
    h('div', { class: 'tool-head' }, h('span', { class: 'tool-label' }, 'Tool call'), h('code', { class: 'tool-name' }, step.name)),
    h('pre', { class: 'tool-args' }, prettyJson(step.arguments)),
  );
}

export function toolResultBlock(step: Of<'ToolResultStep'>): HTMLElement {
  return h(
    'div',
    { class: `tool-result ${step.success ? 'ok' : 'failed'}`, 'data-step': 'tool-result', 'data-success': String(step.success) },
    h(
      'div',
      { class: 'tool-head' },
      h('span', { class: 'tool-label' }, step.success ? 'Result' : 'Failed'),
      h('span', { class: 'tool-duration' }, `${step.durationMs} ms`),
    ),
    h('pre', { class: 'tool-content' }, prettyJson(step.content)),
  );
}
