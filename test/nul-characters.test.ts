/**
 * U+0000 cannot be stored in PostgreSQL text or jsonb. A NUL in client input
 * is BAD_USER_INPUT that stores nothing (it was a masked INTERNAL_SERVER_ERROR);
 * a NUL in the model's output or a tool call becomes U+FFFD (it made every flush
 * of the instance fail, so that run and every other run on it stalled forever).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { reply, startFakeLlm, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, readRun, startChatServer } from './helpers/chat.js';
import { sqlRow } from './helpers/rows.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('NUL characters', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, env: { LLM_STALL_TIMEOUT_MS: '1500' } });
    token = await server.token('nul-user');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('in input: BAD_USER_INPUT, nothing stored', async () => {
    const { before } = await sqlRow(server, 'SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM conversations) AS before');
    const cases: [string, Record<string, unknown>][] = [
      ['mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }', { input: { title: 'a\u0000b' } }],
      ['mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }', { input: { text: 'hello\u0000' } }],
      ['query($s: String) { conversations(search: $s) { edges { node { id } } } }', { s: '\u0000' }],
    ];
    for (const [query, variables] of cases) {
      const response = await server.gql(query, variables, token);
      expect(response.errors?.[0]?.extensions?.code, query).toBe('BAD_USER_INPUT');
    }
    const { after } = await sqlRow(server, 'SELECT (SELECT count(*) FROM messages) + (SELECT count(*) FROM conversations) AS after');
    expect(after).toEqual(before);
  });

  it('in model output and tool calls: stored as U+FFFD, the run and the others on the instance finish', async () => {
    fake.enqueue(
      reply([{ thinking: 'th\u0000ink' }, { text: 'he\u0000llo' }, { toolCalls: [toolCall('calculator', { expression: '1+1', note: 'n\u0000' })] }]),
      text('do\u0000ne'),
    );
    const result = await Promise.race([
      chat(server, token, { text: 'say a NUL', enabledTools: ['calculator'] }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the run stalled')), 8_000)),
    ]);
    expect(result.last.__typename).toBe('DoneStep');
    // (A tool call's `arguments` keep the model's JSON escape "\u0000": that is text, and storable.)
    const deltas = result.steps.filter((s) => s.__typename === 'TextStep' || s.__typename === 'ThinkingStep').map((s) => s.delta);
    expect(deltas).toEqual(['th\ufffdink', 'he\ufffdllo', 'do\ufffdne']);
    const run = await readRun(server, token, result.runId);
    expect(run.assistantMessage.text).toBe('he\ufffdllo\n\ndo\ufffdne');
    // The next run on the instance is not held up by the first.
    fake.enqueue(text('clean'));
    expect((await chat(server, token, { text: 'again' })).last.__typename).toBe('DoneStep');
  });
});
