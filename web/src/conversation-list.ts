/**
 * The list of the viewer's conversations in the sidebar: title (cut with an
 * ellipsis, the whole title on hover), when it last changed, and a dot
 * while it is answering. On a narrow screen the list is a drawer opened by
 * the ☰ button; choosing a conversation closes it.
 */
import { gql } from './api.js';
import { h } from './dom.js';

export interface ListedConversation {
  id: string;
  title: string | null;
  updatedAt: string;
  activeRun: { id: string } | null;
}

const QUERY = `{ conversations(first: 50) { edges { node { id title updatedAt activeRun { id } } } } }`;

const sameDay = (a: Date, b: Date) => a.toDateString() === b.toDateString();

/** A short date: the time today, day and month this year, the full date before. */
export function shortDate(iso: string, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  if (sameDay(date, now)) return date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  const options: Intl.DateTimeFormatOptions =
    date.getFullYear() === now.getFullYear() ? { day: 'numeric', month: 'short' } : { day: 'numeric', month: 'short', year: 'numeric' };
  return date.toLocaleDateString(undefined, options);
}

function item(node: ListedConversation, currentId: string | null) {
  const title = node.title || 'Untitled';
  return h(
    'li',
    {},
    h(
      'a',
      { href: `#c=${encodeURIComponent(node.id)}`, class: node.id === currentId ? 'current' : '', 'data-id': node.id, title },
      h('span', { class: 'conversation-title' }, title),
      ...(node.activeRun ? [h('span', { class: 'live-dot', title: 'answering' })] : []),
      h('time', { class: 'conversation-date', datetime: node.updatedAt }, shortDate(node.updatedAt)),
    ),
  );
}

/** Fetches and draws the list; returns the conversations it drew. */
export async function loadConversationList(list: HTMLElement, currentId: string | null): Promise<ListedConversation[]> {
  const data = await gql<{ conversations: { edges: { node: ListedConversation }[] } }>(QUERY);
  const nodes = data.conversations.edges.map(({ node }) => node);
  list.replaceChildren(...nodes.map((node) => item(node, currentId)));
  return nodes;
}

/** Wires the ☰ button that shows and hides the list on a narrow screen. */
export function listDrawer(options: { button: HTMLButtonElement; sidebar: HTMLElement }) {
  const { button, sidebar } = options;
  const set = (open: boolean) => {
    document.body.classList.toggle('list-open', open);
    button.setAttribute('aria-expanded', String(open));
  };
  button.addEventListener('click', () => set(!document.body.classList.contains('list-open')));
  sidebar.addEventListener('click', (event) => {
    if ((event.target as HTMLElement).closest('a, #new-chat')) set(false);
  });
  // A tap beside the open drawer closes it, as on any phone.
  document.addEventListener('click', (event) => {
    const target = event.target as Node;
    if (document.body.classList.contains('list-open') && !sidebar.contains(target) && !button.contains(target)) set(false);
  });
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') set(false);
  });
  return { close: () => set(false) };
}
