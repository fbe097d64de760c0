/**
 * A repeated clientMutationId from the same user returns the first call's
 * payload and starts nothing, whether the retry comes after the first call
 * answered or races it; another user's identical id is theirs alone.
 */
import { expect, it } from 'vitest';
import { chatRequests, text, type FakeLlm } from './fixtures/fake-llm.js';
import { follow, chatSuite } from './helpers/chat.js';
import { rowIdOf, sql } from './helpers/rows.js';
import { messagesOf } from './helpers/runs.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

const SEND = `mutation($input: SendMessageInput!) {
  sendMessage(input: $input) { run { id } conversation { id } userMessage { id text } clientMutationId }
}`;

describeEachBackend('sendMessage idempotency', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'retrier', name: 'Retrier' }, (suite) => ({ fake, server, token } = suite));

  async function sendRaw(t: string, input: Record<string, unknown>) {
    const response = await server.gql(SEND, { input }, t);
    expect(response.errors).toBeUndefined();
    return response.data!.sendMessage;
  }

  const runsWith = async (clientMutationId: string) =>
    (await sql(server, 'SELECT id, user_id FROM runs WHERE client_mutation_id = $1', [clientMutationId])).length;

  it('a sequential retry returns the first payload and starts nothing', async () => {
    const created = await server.gql('mutation { createConversation(input: {}) { id } }', {}, token);
    const conversationId = created.data!.createConversation.id;
    fake.enqueue(text('Only once.', { delayMs: 20 }));
    const before = chatRequests(fake).length;
    const input = { conversationId, text: 'say it once', clientMutationId: 'cmid-seq-1' };
    const first = await sendRaw(token, input);
    // While the run is active (a plain second message would be CONVERSATION_BUSY) ...
    const second = await sendRaw(token, input);
    expect(second).toEqual(first);
    expect(first.clientMutationId).toBe('cmid-seq-1');
    await follow(server, token, first.run.id);
    // ... and after it finished.
    const third = await sendRaw(token, input);
    expect(third).toEqual(first);
    expect(chatRequests(fake).length - before).toBe(1);
    expect(await runsWith('cmid-seq-1')).toBe(1);
    expect(await messagesOf(server, token, conversationId)).toEqual([
      ['USER', 'say it once'],
      ['ASSISTANT', 'Only once.'],
    ]);
  });

  it('two concurrent calls with the same id start one run in one new conversation', async () => {
    fake.enqueue(text('Raced.'));
    const before = chatRequests(fake).length;
    const conversationsBefore = (await sql(server, 'SELECT count(*)::int AS n FROM conversations'))[0]!.n;
    const input = { text: 'racing', clientMutationId: 'cmid-race-1' };
    const [a, b] = await Promise.all([sendRaw(token, input), sendRaw(token, input)]);
    expect(b).toEqual(a);
    await follow(server, token, a.run.id);
    expect(await runsWith('cmid-race-1')).toBe(1);
    expect((await sql(server, 'SELECT count(*)::int AS n FROM conversations'))[0]!.n).toBe(conversationsBefore + 1);
    expect(await messagesOf(server, token, a.conversation.id)).toEqual([
      ['USER', 'racing'],
      ['ASSISTANT', 'Raced.'],
    ]);
    const userMessages = await sql(server, `SELECT id FROM messages WHERE conversation_id = $1 AND role = 'user'`, [rowIdOf(a.conversation.id)]);
    expect(userMessages).toHaveLength(1);
    expect(chatRequests(fake).length - before).toBe(1);
  });

  it("another user's identical clientMutationId gets their own run", async () => {
    fake.enqueue(text('For the first.'), text('For the second.'));
    const input = { text: 'shared id', clientMutationId: 'cmid-shared' };
    const mine = await sendRaw(token, input);
    const otherToken = await server.token('other-retrier');
    const theirs = await sendRaw(otherToken, input);
    expect(theirs.run.id).not.toBe(mine.run.id);
    expect(theirs.conversation.id).not.toBe(mine.conversation.id);
    expect(theirs.userMessage.id).not.toBe(mine.userMessage.id);
    await Promise.all([follow(server, token, mine.run.id), follow(server, otherToken, theirs.run.id)]);
    expect(await runsWith('cmid-shared')).toBe(2);
    // Each user's retry still finds their own.
    expect((await sendRaw(otherToken, input)).run.id).toBe(theirs.run.id);
    expect((await sendRaw(token, input)).run.id).toBe(mine.run.id);
  });
});
