/**
 * Only well-formed text is stored. A lone UTF-16 surrogate from a user is
 * BAD_USER_INPUT at the edge and stores nothing; one from a provider or a
 * tool (text, thinking, tool arguments, a finish reason) becomes U+FFFD
 * before the event exists, so the run completes and so does everyone
 * else's. A surrogate pair split between two chunks is joined again, and
 * usage counts a provider makes up are bounded to what a column holds.
 */
import { expect, it } from 'vitest';
import { reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, chatSuite, expectGapless, follow, readRun, send, type Step } from './helpers/chat.js';
import { sql } from './helpers/rows.js';
import { codeOf, describeEachBackend, type TestServer } from './helpers/server.js';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }`;
const textOf = (steps: Step[], type = 'TextStep') => steps.filter((s) => s.__typename === type).map((s) => s.delta).join('');

describeEachBackend('well-formed text', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'unicode', name: 'Unicode' }, (suite) => ({ fake, server, token } = suite));

  it('refuses a message with a lone surrogate as BAD_USER_INPUT, storing nothing', async () => {
    const before = await sql(server, 'SELECT count(*)::int AS n FROM messages');
    for (const input of [{ text: 'hi \ud800 there' }, { text: 'trailing \udbff' }, { text: 'ok', clientMutationId: 'id-\udc00' }]) {
      // JSON.stringify writes the lone surrogate as the escape \ud800, as curl -d '"\ud800"' does.
      const response = await server.gql(SEND, { input }, token);
      expect(codeOf(response)).toBe('BAD_USER_INPUT');
      expect(response.errors![0]!.message).toMatch(/surrogate/);
    }
    expect(await sql(server, 'SELECT count(*)::int AS n FROM messages')).toEqual(before);
  });

  it('stores a provider\'s lone surrogates as U+FFFD, and the runs beside it complete', async () => {
    // The bystander's run first (its request takes the first turn), trickling while the other one runs.
    fake.enqueue(text('a bystander answers slowly', { delayMs: 40 }));
    const bystanderToken = await server.token('bystander');
    const requestsBefore = fake.requests.length;
    const bystander = await send(server, bystanderToken, { text: 'plain question' });
    await expect.poll(() => fake.requests.length).toBe(requestsBefore + 1);
    fake.enqueue(
      reply(
        [
          { thinking: 'think \ud800 hard' },
          { text: 'let me \udc00 compute' },
          { toolCalls: [toolCall('calculator', '{"expression": "1+\ud800"}'), toolCall('nam\udbffe', '{}')] },
        ],
        { delayMs: 5 },
      ),
      reply([{ text: 'done \ud83d' }], { finishReason: 'stop\udfff' }),
    );
    const poisoned = await send(server, token, { text: 'hostile provider', enabledTools: ['calculator'] });
    const [mine, theirs] = await Promise.all([follow(server, token, poisoned.runId), follow(server, bystanderToken, bystander.runId)]);
    expect(theirs.steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });
    expect(textOf(theirs.steps)).toBe('a bystander answers slowly');

    expect(expectGapless(mine.steps)).toBe(true);
    expect(mine.steps.at(-1)).toMatchObject({ __typename: 'DoneStep', finishReason: 'stop\ufffd' });
    expect(textOf(mine.steps, 'ThinkingStep')).toBe('think \ufffd hard');
    expect(textOf(mine.steps)).toBe('let me \ufffd computedone \ufffd');
    const calls = mine.steps.filter((s) => s.__typename === 'ToolCallStep');
    expect(calls.map((c) => c.arguments)).toEqual(['{"expression": "1+\ufffd"}', '{}']);
    expect(calls[1]!.name).toBe('nam\ufffde');
    const results = mine.steps.filter((s) => s.__typename === 'ToolResultStep');
    expect(results).toHaveLength(2);
    for (const result of results) expect(result.content.isWellFormed()).toBe(true);

    // What a reloaded page reads is what was streamed.
    const run = await readRun(server, token, poisoned.runId);
    expect(run.status).toBe('COMPLETED');
    expect(run.assistantMessage.text).toBe('let me \ufffd compute\n\ndone \ufffd');
  });

  it('joins a surrogate pair that a provider split between two chunks', async () => {
    // One UTF-16 unit per chunk: every emoji arrives as two lone halves.
    fake.enqueue(text('smile 😀 and 👍 end', { chunkChars: 1 }));
    const { steps, last } = await chat(server, token, { text: 'emoji please' });
    expect(last).toMatchObject({ __typename: 'DoneStep' });
    expect(textOf(steps)).toBe('smile 😀 and 👍 end');
  });

  it('bounds usage counts a provider made up to what the columns hold', async () => {
    fake.enqueue(text('counted', { usage: { prompt: 1e12, completion: 5e11 } }));
    const { runId, last } = await chat(server, token, { text: 'how many tokens?' });
    expect(last).toMatchObject({ __typename: 'DoneStep', tokenCount: 2 ** 31 - 1 });
    expect(last.usage).toMatchObject({ promptTokens: 2 ** 31 - 1, completionTokens: 2 ** 31 - 1 });
    expect((await readRun(server, token, runId)).status).toBe('COMPLETED');
  });
});
