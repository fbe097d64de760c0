/**
 * Conversation titles against the real server and the fake provider: the
 * first line at once, then the provider's short title (asked beside the
 * first run, never delaying it), a rename that always wins, failures that
 * keep the first line and log neither the message nor the key, reasoning
 * stripped, TITLE_GENERATION=false, and the demo model's deterministic title.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chatRequests, reply, startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { captureLog } from './helpers/log.js';
import { rowIdOf } from './helpers/rows.js';
import { chat, FAKE_API_KEY, follow, send, startChatServer } from './helpers/chat.js';
import { describeEachBackend, startServer, type TestServer } from './helpers/server.js';

const TITLE = 'query($id: ID!) { conversation(id: $id) { title } }';

async function titleOf(server: TestServer, token: string, id: string): Promise<string | null> {
  const response = await server.gql(TITLE, { id }, token);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.conversation.title;
}

describeEachBackend('titles', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  const log = captureLog('info');
  /** Log lines about the title of a conversation (by its global id) so far. */
  const titleLines = (conversationId: string) =>
    log.atLeast(30).filter((l) => /title/.test(String(l.msg)) && l.conversationId === rowIdOf(conversationId));

  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, logger: log.logger });
    token = await server.token('titles-user', 1, 'titles');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('gives the first line at once, then the generated title, without delaying the run', async () => {
    // The title answers well after the run has ended: the run does not wait for it.
    fake.enqueueCompletion(text('Paris on a budget', { firstDelayMs: 1_000 }));
    fake.enqueue(text('Here is a plan.'));
    const response = await server.gql(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } conversation { id title } } }`,
      { input: { text: '  Plan a cheap trip to Paris  \nfor three days, please' } },
      token,
    );
    const { run, conversation } = response.data!.sendMessage;
    expect(conversation.title).toBe('Plan a cheap trip to Paris');
    const { steps } = await follow(server, token, run.id);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });
    const updatedAt = async () => (await server.gql('query($id: ID!) { conversation(id: $id) { updatedAt } }', { id: conversation.id }, token)).data!.conversation.updatedAt;
    const afterRun = await updatedAt();
    expect(await titleOf(server, token, conversation.id)).toBe('Plan a cheap trip to Paris');
    await expect.poll(() => titleOf(server, token, conversation.id), { timeout: 5_000 }).toBe('Paris on a budget');
    // A late title does not reorder the list: updatedAt follows the user and the run, not the title.
    expect(await updatedAt()).toBe(afterRun);

    // One non-streaming request to the conversation's provider and model, with the first message only and no tools.
    const request = fake.completions.at(-1)!;
    expect(request.body).toMatchObject({ model: 'fake-model', stream: false });
    expect(request.body.tools).toBeUndefined();
    expect(request.body.messages).toHaveLength(2);
    expect(request.body.messages[0].role).toBe('system');
    expect(request.body.messages[1]).toEqual({ role: 'user', content: '  Plan a cheap trip to Paris  \nfor three days, please' });
    expect(request.headers.authorization).toBe(`Bearer ${FAKE_API_KEY}`);
    // The run's own request was not taken by the title's.
    expect(chatRequests(fake).at(-1)!.body.stream).toBe(true);
  });

  it('titles a conversation made without a title at its first message only; a given title is kept', async () => {
    const created = await server.gql('mutation { createConversation(input: {}) { id title } }', {}, token);
    const id = created.data!.createConversation.id;
    expect(created.data!.createConversation.title).toBeNull();
    fake.enqueueCompletion(text('Sourdough basics'));
    const before = fake.completions.length;
    await chat(server, token, { conversationId: id, text: 'How do I bake sourdough bread?' });
    await expect.poll(() => titleOf(server, token, id), { timeout: 5_000 }).toBe('Sourdough basics');
    await chat(server, token, { conversationId: id, text: 'And rye?' });
    expect(fake.completions.length).toBe(before + 1);

    const named = await server.gql('mutation { createConversation(input: { title: "My notes" }) { id } }', {}, token);
    const namedId = named.data!.createConversation.id;
    await chat(server, token, { conversationId: namedId, text: 'First message here' });
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.completions.length).toBe(before + 1);
    expect(await titleOf(server, token, namedId)).toBe('My notes');
  });

  it('keeps a rename made while the title is being generated', async () => {
    fake.enqueueCompletion(text('Generated title', { firstDelayMs: 800 }));
    const before = fake.completions.length;
    const sent = await send(server, token, { text: 'Compare two databases' });
    await expect.poll(() => fake.completions.length, { timeout: 5_000 }).toBe(before + 1);
    const renamed = await server.gql(
      'mutation($id: ID!) { updateConversation(id: $id, input: { title: "Mine" }) { title } }',
      { id: sent.conversationId },
      token,
    );
    expect(renamed.data!.updateConversation.title).toBe('Mine');
    await expect
      .poll(() => titleLines(sent.conversationId).filter((l) => /not stored/.test(String(l.msg))).length, { timeout: 5_000 })
      .toBe(1);
    expect(await titleOf(server, token, sent.conversationId)).toBe('Mine');
    await follow(server, token, sent.runId);
  });

  it('strips reasoning from the answer', async () => {
    fake.enqueueCompletion(reply([{ thinking: 'The user asks about Rust.' }, { text: '<think>Maybe "Rust help"?</think>\n"Borrow checker errors".' }]));
    const sent = await chat(server, token, { text: 'Why does the borrow checker reject this?' });
    await expect.poll(() => titleOf(server, token, sent.conversationId), { timeout: 5_000 }).toBe('Borrow checker errors');
  });

  it('keeps the first line when the provider fails, answers nothing, or never answers, and logs no text or key', async () => {
    const secretText = 'Secret question about payroll';
    const cases = [
      { turn: { type: 'http' as const, status: 500, bodyOf: () => ({ error: { message: `overloaded; your key ${FAKE_API_KEY}; you asked: ${secretText}` } }) }, expected: { reason: 'provider-error', code: 'PROVIDER_ERROR', status: 500 } },
      { turn: text('<think>only thinking, no title</think>'), expected: { reason: 'empty' } },
      // No headers within LLM_STALL_TIMEOUT_MS: the client's own timeout.
      { turn: { type: 'hang' as const }, expected: { reason: 'provider-error', code: 'TIMEOUT' } },
    ];
    for (const { turn, expected } of cases) {
      fake.enqueueCompletion(turn);
      const sent = await chat(server, token, { text: `${secretText} ${expected.reason}` });
      const failed = () => titleLines(sent.conversationId).filter((l) => /failed/.test(String(l.msg)));
      await expect.poll(() => failed().length, { timeout: 8_000 }).toBe(1);
      expect(failed()[0]).toMatchObject({ level: 40, ...expected });
      expect(await titleOf(server, token, sent.conversationId)).toBe(`${secretText} ${expected.reason}`);
    }
    const all = log.lines.join('\n');
    expect(all).not.toContain(secretText);
    expect(all).not.toContain(FAKE_API_KEY);
  });
});

describeEachBackend('titles switched off', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, env: { TITLE_GENERATION: 'false' } });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('TITLE_GENERATION=false sends no title request and keeps the first line', async () => {
    const token = await server.token('no-titles');
    const sent = await chat(server, token, { text: 'Just the first line\nand more' });
    expect(sent.last).toMatchObject({ __typename: 'DoneStep' });
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.completions).toHaveLength(0);
    expect(await titleOf(server, token, sent.conversationId)).toBe('Just the first line');
  });
});

describeEachBackend('titles from the demo model', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ backend });
  });
  afterAll(() => server?.stop());

  it('gives a deterministic title', async () => {
    const token = await server.token('demo-titles');
    const titles: (string | null)[] = [];
    for (let i = 0; i < 2; i++) {
      const sent = await chat(server, token, { text: 'what is 6*7?\nexplain' });
      await expect.poll(() => titleOf(server, token, sent.conversationId), { timeout: 5_000 }).toBe('What Is 6*7');
      titles.push(await titleOf(server, token, sent.conversationId));
    }
    expect(titles).toEqual(['What Is 6*7', 'What Is 6*7']);
  });
});
