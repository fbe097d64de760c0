/**
 * The chat page: pick a provider and model, open or start a conversation,
 * send a message (with tools), watch the answer stream in, stop it. The open
 * conversation's id is kept in the URL hash (`#c=<id>`), so a reload opens
 * it again and, when a run is still active, draws its partial answer
 * (`activeRun.assistantMessage.steps`) and resumes `chatSteps` after
 * `activeRun.lastSeq`, dropping any event it already has.
 */
import './style.css';
import './markdown.css';
import { gql, GraphQLRequestError, subscribe, token } from './api.js';
import { listDrawer, loadConversationList } from './conversation-list.js';
import { h } from './dom.js';
import { userMessage } from './message.js';
import { drawMessages, type Conversation } from './history-view.js';
import { Settings, type Provider, type Tool } from './settings.js';
import { AnswerView, isTerminal, STEP_FIELDS, type Step } from './steps.js';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const ui = {
  provider: $<HTMLSelectElement>('provider'),
  model: $<HTMLSelectElement>('model'),
  tokenForm: $<HTMLFormElement>('token-form'),
  token: $<HTMLInputElement>('token'),
  viewer: $<HTMLSpanElement>('viewer'),
  newChat: $<HTMLButtonElement>('new-chat'),
  toggleList: $<HTMLButtonElement>('toggle-list'),
  sidebar: $<HTMLElement>('sidebar'),
  conversations: $<HTMLUListElement>('conversations'),
  title: $<HTMLHeadingElement>('title'),
  notice: $<HTMLDivElement>('notice'),
  messages: $<HTMLElement>('messages'),
  composer: $<HTMLFormElement>('composer'),
  input: $<HTMLTextAreaElement>('input'),
  tools: $<HTMLDivElement>('tools'),
  thinking: $<HTMLInputElement>('thinking'),
  send: $<HTMLButtonElement>('send'),
  stop: $<HTMLButtonElement>('stop'),
};
const settings = new Settings({ provider: ui.provider, model: ui.model, tools: ui.tools, thinking: ui.thinking });

/** The open conversation (null: a new one is created on send). */
let conversationId: string | null = null;
/** The run being followed, its view and how to stop following it. */
let live: { runId: string; view: AnswerView; unsubscribe: () => void } | null = null;

const CHAT_STEPS = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`;

function notify(message: string) {
  ui.notice.textContent = message;
  ui.notice.hidden = !message;
}

/** Shows an error; UNAUTHENTICATED brings up the token field. */
function report(error: unknown) {
  if (error instanceof GraphQLRequestError && error.code === 'UNAUTHENTICATED') {
    ui.tokenForm.hidden = false;
    notify('This server needs a token: paste one above (`npm run token` mints one for development).');
    return;
  }
  notify(error instanceof Error ? error.message : String(error));
}

function setBusy(busy: boolean) {
  ui.send.hidden = busy;
  ui.stop.hidden = !busy;
  ui.stop.disabled = false;
}

/**
 * Keeps following the end of the answer if the reader was there. Decided
 * now, scrolled on the next frame: the Markdown is redrawn in a frame
 * callback queued before this one, and may grow by more than the margin.
 */
function scrollToEnd() {
  const el = ui.messages;
  if (el.scrollHeight - el.scrollTop - el.clientHeight >= 120) return;
  requestAnimationFrame(() => (el.scrollTop = el.scrollHeight));
}

// ---- settings -----------------------------------------------------------

async function loadSettings() {
  const data = await gql<{ viewer: { username: string }; providers: Provider[]; tools: Tool[] }>(
    `{ viewer { username } providers { id name defaultModel models } tools { name description } }`,
  );
  ui.viewer.textContent = data.viewer.username;
  ui.tokenForm.hidden = !token.get();
  settings.fill(data.providers, data.tools);
}

// ---- conversations ------------------------------------------------------

async function loadConversations() {
  const listed = await loadConversationList(ui.conversations, conversationId);
  const current = listed.find((node) => node.id === conversationId);
  if (current) ui.title.textContent = current.title || 'Untitled';
}

const idFromHash = () => new URLSearchParams(location.hash.slice(1)).get('c');

function stopFollowing() {
  live?.unsubscribe();
  live = null;
  setBusy(false);
}

function newChat() {
  stopFollowing();
  conversationId = null;
  if (location.hash) history.pushState(null, '', location.pathname + location.search);
  ui.title.textContent = 'New conversation';
  ui.messages.replaceChildren(h('p', { class: 'empty' }, 'Send a message to start a conversation.'));
  settings.show();
  void loadConversations().catch(report);
  ui.input.focus();
}

async function openConversation(id: string) {
  stopFollowing();
  notify('');
  conversationId = id;
  const data = await gql<{ conversation: Conversation | null }>(
    // `last` as a variable: graphql-armor multiplies the cost by a literal first/last, and with
    // every step of 100 messages that would exceed the server's query cost limit.
    `query($id: ID!, $last: Int) { conversation(id: $id) {
      id title model thinkingEnabled provider { id }
      activeRun { id status lastSeq assistantMessage { steps { ${STEP_FIELDS} } } }
      messages(last: $last) { edges { node {
        id role text tokenCount steps { ${STEP_FIELDS} } run { id status error { code message } }
      } } }
    } }`,
    { id, last: 100 },
  );
  if (conversationId !== id) return; // another conversation was opened meanwhile
  const conversation = data.conversation;
  if (!conversation) {
    notify('That conversation does not exist (or is not yours).');
    newChat();
    return;
  }
  ui.title.textContent = conversation.title || 'Untitled';
  settings.show(conversation);
  const active = conversation.activeRun;
  const { views, activeView } = drawMessages(conversation.messages.edges.map(({ node }) => node), active);
  ui.messages.replaceChildren(...views);
  ui.messages.scrollTop = ui.messages.scrollHeight;
  // Resume: the partial answer is drawn; follow the events after it.
  if (active && activeView) follow(active.id, activeView, active.lastSeq);
  void loadConversations().catch(report);
}

/** A new conversation is named after its first message. */
const titleFrom = (text: string) => {
  const line = text.split('\n')[0]!.trim();
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
};

// ---- running ------------------------------------------------------------

function follow(runId: string, view: AnswerView, after: number) {
  stopFollowing();
  setBusy(true);
  ui.messages.dataset.runId = runId;
  const finish = () => {
    if (live?.runId !== runId) return;
    live = null;
    setBusy(false);
    void loadConversations().catch(report);
  };
  const unsubscribe = subscribe<{ chatSteps: Step }>(CHAT_STEPS, { runId, after }, {
    next: ({ chatSteps: step }) => {
      // graphql-ws repeats the subscription from `after` when it reconnects: drop what is drawn.
      if (!view.apply(step)) return;
      scrollToEnd();
      if (isTerminal(step)) finish();
    },
    error: (error) => {
      if (live?.runId !== runId) return;
      view.fail(error.message);
      finish();
    },
    complete: finish,
  });
  live = { runId, view, unsubscribe };
}

async function send() {
  const text = ui.input.value.trim();
  if (!text || live) return;
  ui.send.disabled = true;
  notify('');
  try {
    const selection = settings.selection();
    if (!conversationId) {
      const created = await gql<{ createConversation: { id: string } }>(
        `mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }`,
        { input: { ...selection, title: titleFrom(text), thinkingEnabled: settings.thinking } },
      );
      conversationId = created.createConversation.id;
      history.pushState(null, '', `#c=${encodeURIComponent(conversationId)}`);
      ui.messages.replaceChildren();
    } else if (settings.changed) {
      await gql(`mutation($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id } }`, {
        id: conversationId,
        input: selection,
      });
    }
    settings.changed = false;
    const sent = await gql<{ sendMessage: { run: { id: string }; conversation: { title: string | null } } }>(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } conversation { title } } }`,
      {
        input: {
          conversationId,
          text,
          enabledTools: settings.enabledTools(),
          thinkingEnabled: settings.thinking,
          clientMutationId: crypto.randomUUID(),
        },
      },
    );
    ui.input.value = '';
    ui.title.textContent = sent.sendMessage.conversation.title || 'Untitled';
    const view = new AnswerView(true);
    ui.messages.append(userMessage(text).el, view.el);
    ui.messages.scrollTop = ui.messages.scrollHeight;
    follow(sent.sendMessage.run.id, view, 0);
    void loadConversations().catch(report);
  } catch (error) {
    report(error);
  } finally {
    ui.send.disabled = false;
  }
}

async function stop() {
  if (!live) return;
  ui.stop.disabled = true;
  try {
    // The stream then ends with ErrorStep CANCELLED; the text drawn so far stays.
    await gql(`mutation($id: ID!) { cancelRun(id: $id) { id status } }`, { id: live.runId });
  } catch (error) {
    report(error);
    ui.stop.disabled = false;
  }
}

// ---- wiring -------------------------------------------------------------

ui.composer.addEventListener('submit', (event) => {
  event.preventDefault();
  void send();
});
ui.input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    void send();
  }
});
ui.stop.addEventListener('click', () => void stop());
ui.newChat.addEventListener('click', newChat);
listDrawer({ button: ui.toggleList, sidebar: ui.sidebar });
ui.tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  token.set(ui.token.value.trim());
  ui.token.value = '';
  void start();
});
window.addEventListener('hashchange', () => {
  const id = idFromHash();
  if (id && id !== conversationId) void openConversation(id).catch(report);
  else if (!id && conversationId) newChat();
});

async function start() {
  notify('');
  try {
    await loadSettings();
    const id = idFromHash();
    if (id) await openConversation(id);
    else newChat();
  } catch (error) {
    report(error);
  }
}

void start();
