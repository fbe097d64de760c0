import { expect, it } from 'vitest';
import { chatRequests, reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, expectGapless, follow, readRun, send, chatSuite } from './helpers/chat.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('a run', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'runner', name: 'Runner' }, (suite) => ({ fake, server, token } = suite));

  it("uses an edited provider's new key from the next run on", async () => {
    const admin = await server.token('basics-admin', 10, 'Basics Admin');
    const created = await server.gql(
      'mutation ($i: CreateProviderInput!) { createProvider(input: $i) { id } }',
      { i: { name: 'Edited', baseUrl: fake.url, apiKey: 'sk-first-key-0000000000', defaultModel: 'fake-model', shared: true } },
      admin,
    );
    const providerId = created.data!.createProvider.id;
    const conversation = await server.gql('mutation ($p: ID) { createConversation(input: { providerId: $p }) { id } }', { p: providerId }, token);
    const conversationId = conversation.data!.createConversation.id;
    const keyOfLastRequest = () => chatRequests(fake).at(-1)!.headers.authorization;

    fake.enqueue(text('one'));
    expect((await chat(server, token, { conversationId, text: 'first' })).last).toMatchObject({ __typename: 'DoneStep' });
    expect(keyOfLastRequest()).toBe('Bearer sk-first-key-0000000000');
    const updated = await server.gql(
      'mutation ($id: ID!, $i: UpdateProviderInput!) { updateProvider(id: $id, input: $i) { id } }',
      { id: providerId, i: { apiKey: 'sk-second-key-000000000' } },
      admin,
    );
    expect(updated.errors).toBeUndefined();
    fake.enqueue(text('two'));
    expect((await chat(server, token, { conversationId, text: 'second' })).last).toMatchObject({ __typename: 'DoneStep' });
    expect(keyOfLastRequest()).toBe('Bearer sk-second-key-000000000');
  });

  it('streams thinking and text, then Done pointing at the stored message', async () => {
    fake.enqueue(reply([{ thinking: 'Let me think about it.' }, { text: 'The answer is forty two.' }], { usage: { prompt: 11, completion: 7, reasoning: 3 } }));
    const { steps, last, runId } = await chat(server, token, { text: 'What is the answer?' });
    expect(expectGapless(steps)).toBe(true);
    expect(new Set(steps.map((s) => s.__typename))).toEqual(new Set(['ThinkingStep', 'TextStep', 'DoneStep']));
    const thinking = steps.filter((s) => s.__typename === 'ThinkingStep');
    const texts = steps.filter((s) => s.__typename === 'TextStep');
    expect(thinking.map((s) => s.delta).join('')).toBe('Let me think about it.');
    expect(texts.map((s) => s.delta).join('')).toBe('The answer is forty two.');
    expect(texts[texts.length - 1]!.content).toBe('The answer is forty two.');
    expect(new Set(thinking.map((s) => s.index))).toEqual(new Set([0]));
    expect(new Set(texts.map((s) => s.index))).toEqual(new Set([1]));
    expect(last).toMatchObject({ __typename: 'DoneStep', index: 2, finishReason: 'stop', tokenCount: 7, iterations: 1 });
    expect(last!.usage).toEqual({ promptTokens: 11, completionTokens: 7, totalTokens: 18, reasoningTokens: 3 });

    const run = await readRun(server, token, runId);
    expect(run.status).toBe('COMPLETED');
    expect(run.lastSeq).toBe(last!.seq);
    expect(run.assistantMessage.id).toBe(last!.messageId);
    expect(run.assistantMessage.text).toBe('The answer is forty two.');
    expect(run.assistantMessage.steps.map((s: any) => [s.__typename, s.content])).toEqual([
      ['ThinkingStep', 'Let me think about it.'],
      ['TextStep', 'The answer is forty two.'],
    ]);
    // In Message.steps each step carries the seq of its last event, and delta holds the whole text.
    expect(run.assistantMessage.steps[1].seq).toBe(texts[texts.length - 1]!.seq);
    expect(run.assistantMessage.steps[1].delta).toBe('The answer is forty two.');
    expect(run.userMessage).toMatchObject({ text: 'What is the answer?', role: 'USER' });
  });

  it('sends the user message as plain text and stores it', async () => {
    fake.enqueue(text('ok'));
    const before = chatRequests(fake).length;
    await chat(server, token, { text: 'plain words' });
    const request = chatRequests(fake)[before]!;
    expect(request.body.messages.at(-1)).toEqual({ role: 'user', content: 'plain words' });
    expect(request.body.stream).toBe(true);
    expect(request.body.stream_options).toEqual({ include_usage: true });
    expect(request.headers.authorization).toBe('Bearer sk-test-fake-key-0123456789abcdef');
  });

  it('runs tools in parallel, records results, sums usage over iterations', async () => {
    fake.enqueue(
      reply([{ toolCalls: [toolCall('calculator', { expression: '6*7' }, 'call_a'), toolCall('current_time', {}, 'call_b')], interleave: true }], {
        usage: { prompt: 5, completion: 4 },
      }),
      text('Done: 42.', { usage: { prompt: 20, completion: 3 } }),
    );
    const { steps, last } = await chat(server, token, { text: 'compute', enabledTools: ['calculator', 'current_time'] });
    const calls = steps.filter((s) => s.__typename === 'ToolCallStep');
    const results = steps.filter((s) => s.__typename === 'ToolResultStep');
    expect(calls.map((c) => [c.toolCallId, c.name, c.input])).toEqual([
      ['call_a', 'calculator', { expression: '6*7' }],
      ['call_b', 'current_time', {}],
    ]);
    expect(results).toHaveLength(2);
    const calc = results.find((r) => r.name === 'calculator')!;
    expect(calc).toMatchObject({ success: true, toolCallId: 'call_a', callStepId: calls[0]!.id });
    expect(JSON.parse(calc.content)).toEqual({ expression: '6*7', result: 42 });
    expect(last).toMatchObject({ __typename: 'DoneStep', iterations: 2 });
    expect(last!.usage).toMatchObject({ promptTokens: 25, completionTokens: 7, totalTokens: 32 });
    // The second request fed the results back with their tool_call_id.
    const second = chatRequests(fake).at(-1)!.body.messages;
    expect(second.at(-3)).toMatchObject({ role: 'assistant', tool_calls: [{ id: 'call_a' }, { id: 'call_b' }] });
    expect(second.at(-2)).toMatchObject({ role: 'tool', tool_call_id: 'call_a' });
    expect(second.at(-1)).toMatchObject({ role: 'tool', tool_call_id: 'call_b' });
    const indexes = steps.filter((s) => !['ThinkingStep', 'TextStep'].includes(s.__typename) || true).map((s) => s.index);
    expect(Math.max(...indexes)).toBe(last!.index);
  });

  it('replays a finished run identically from 0 and from k, and completes at once past the end', async () => {
    fake.enqueue(text('one two three four five six seven eight nine ten', { delayMs: 5 }));
    const { steps, runId } = await chat(server, token, { text: 'count' });
    const replay = await follow(server, token, runId, 0);
    expect(replay.steps).toEqual(steps);
    const k = Math.floor(steps.length / 2);
    const tail = await follow(server, token, runId, k);
    expect(tail.steps.map((s) => s.seq)).toEqual(steps.slice(k).map((s) => s.seq));
    // content is the whole text so far even when joining mid-step
    expect(tail.steps.filter((s) => s.__typename === 'TextStep').at(-1)!.content).toBe('one two three four five six seven eight nine ten');
    const none = await follow(server, token, runId, steps.length);
    expect(none).toEqual({ steps: [], errors: [] });
  });

  it('gives a late subscriber and two concurrent subscribers every seq exactly once', async () => {
    fake.enqueue(text('a b c d e f g h i j k l m n o p', { delayMs: 15 }));
    const sent = await send(server, token, { text: 'slow' });
    const [first, second] = await Promise.all([follow(server, token, sent.runId), follow(server, token, sent.runId)]);
    expect(expectGapless(first.steps)).toBe(true);
    expect(second.steps).toEqual(first.steps);
    const late = await follow(server, token, sent.runId);
    expect(late.steps).toEqual(first.steps);
  });

  it('refuses a second message while a run is active, storing nothing', async () => {
    fake.enqueue(text('x y z', { delayMs: 200 }));
    const sent = await send(server, token, { text: 'first' });
    const busy = await server.gql(
      `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }`,
      { input: { conversationId: sent.conversationId, text: 'second' } },
      token,
    );
    expect(busy.errors?.[0]?.extensions?.code).toBe('CONVERSATION_BUSY');
    await follow(server, token, sent.runId);
    const messages = await server.gql(
      `query($id: ID!) { conversation(id: $id) { messages { edges { node { role text } } } } }`,
      { id: sent.conversationId },
      token,
    );
    expect(messages.data!.conversation.messages.edges.map((e: any) => e.node.role)).toEqual(['USER', 'ASSISTANT']);
  });
});
