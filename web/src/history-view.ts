/**
 * Draws a stored conversation's messages: user messages, finished answers
 * with how their run ended, and the active run's partial answer (which the
 * caller then follows). A run that ended without producing anything keeps
 * no assistant message on the server; its user message still names the
 * run, so the page shows how it ended ("Stopped before any answer") there.
 */
import { userMessage } from './message.js';
import { AnswerView, type RunSummary, type Step } from './steps.js';

export interface Conversation {
  id: string;
  title: string | null;
  model: string | null;
  thinkingEnabled: boolean;
  provider: { id: string } | null;
  activeRun: ActiveRun | null;
  messages: { edges: { node: StoredMessage }[] };
}
export interface ActiveRun {
  id: string;
  status: string;
  lastSeq: number;
  assistantMessage: { steps: Step[] } | null;
}
export interface StoredMessage {
  id: string;
  role: 'USER' | 'ASSISTANT';
  text: string;
  tokenCount: number | null;
  steps: Step[];
  run: (RunSummary & { id: string }) | null;
}

const STILL_GOING = new Set(['QUEUED', 'RUNNING']);

function liveAnswer(active: ActiveRun, steps: Step[]) {
  const view = new AnswerView(true);
  for (const step of active.assistantMessage?.steps ?? steps) view.apply(step);
  return view;
}

export function drawMessages(messages: StoredMessage[], active: ActiveRun | null) {
  const views: HTMLElement[] = [];
  let activeView: AnswerView | null = null;
  messages.forEach((node, i) => {
    if (node.role === 'ASSISTANT') {
      if (active && node.run?.id === active.id) {
        activeView = liveAnswer(active, node.steps);
        views.push(activeView.el);
        return;
      }
      const view = new AnswerView(false);
      for (const step of node.steps) view.apply(step);
      if (node.run) view.end(node.run, node.tokenCount);
      views.push(view.el);
      return;
    }
    views.push(userMessage(node.text).el);
    const next = messages[i + 1];
    const answered = next?.role === 'ASSISTANT' && next.run?.id === node.run?.id;
    if (node.run && !answered && !STILL_GOING.has(node.run.status)) {
      const view = new AnswerView(false);
      view.end(node.run);
      views.push(view.el);
    }
  });
  if (active && !activeView) {
    activeView = liveAnswer(active, []);
    views.push(activeView.el);
  }
  return { views, activeView: activeView as AnswerView | null };
}
