/**
 * The frame every message is drawn in: its body and a row of actions under
 * it. Actions are (label, handler) pairs added by whoever knows what the
 * message can do, so more of them (edit, regenerate, alternatives) slot in
 * without touching how a message's content is drawn.
 */
import { copyButton } from './copy.js';
import { h } from './dom.js';

export interface MessageFrame {
  el: HTMLElement;
  body: HTMLElement;
  actions: HTMLElement;
  copy: HTMLButtonElement;
}

export function messageFrame(options: { role: 'user' | 'assistant'; copyText: () => string; body?: HTMLElement }): MessageFrame {
  const body = options.body ?? h('div', { class: 'body' });
  const copy = copyButton(options.copyText, 'Copy message');
  const actions = h('div', { class: 'message-actions' }, copy);
  const el = h('article', { class: `message ${options.role}` }, body, actions);
  return { el, body, actions, copy };
}

/** A user's message: its text as typed (not Markdown), with its actions. */
export function userMessage(text: string): MessageFrame {
  return messageFrame({ role: 'user', copyText: () => text, body: h('div', { class: 'text plain' }, text) });
}
