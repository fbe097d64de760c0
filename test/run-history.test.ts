/**
 * What the model is sent on later turns: the system prompt and every
 * earlier turn as it really happened (user text, assistant iterations with
 * their tool calls, tool results by tool_call_id, the final text), thinking
 * left out, and a tool call that never got its result answered with a note
 * saying so. And `thinkingEnabled` in sendMessage overrides the
 * conversation's setting both ways, adding the provider's thinkingParams
 * only when thinking is on.
 */
import { expect, it } from 'vitest';
import { chatRequests, reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, FAKE_API_KEY, follow, readRun, send, type Step, chatSuite } from './helpers/chat.js';
import { registerTestTools } from './helpers/runs.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('history sent to the model', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'historian', name: 'Historian' }, (suite) => {
    ({ fake, server, token } = suite);
    registerTestTools(server);
  });

  async function createConversation(t: string, input: Record<string, unknown>): Promise<string> {
    const response = await server.gql(
      'mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }',
      { input },
      t,
    );
    if (response.errors) throw new Error(JSON.stringify(response.errors));
    return response.data!.createConversation.id;
  }

  it('replays three turns faithfully: text, tool call and result, final text; no thinking', async () => {
    const conversationId = await createConversation(token, { systemPrompt: 'You are terse.' });
    fake.enqueue(reply([{ thinking: 'private musing one' }, { text: 'Hello, I am here.' }]));
    const turn1 = await chat(server, token, { conversationId, text: 'hi' });
    expect(turn1.last.__typename).toBe('DoneStep');

    fake.enqueue(
      reply([{ thinking: 'I should calculate.' }, { text: 'Let me compute.' }, { toolCalls: [toolCall('calculator', { expression: '6*7' }, 'call_h1')] }]),
      reply([{ reasoning: 'It is 42 then.' }, { text: 'It is 42.' }]),
    );
    const turn2 = await chat(server, token, { conversationId, text: 'what is 6*7?', enabledTools: ['calculator'] });
    expect(turn2.last).toMatchObject({ __typename: 'DoneStep', iterations: 2 });
    const toolResult = turn2.steps.find((s) => s.__typename === 'ToolResultStep')!;

    fake.enqueue(text('You are welcome.'));
    const before = chatRequests(fake).length;
    const turn3 = await chat(server, token, { conversationId, text: 'thanks' });
    expect(turn3.last.__typename).toBe('DoneStep');
    const third = chatRequests(fake)[before]!.body;
    expect(third.messages).toEqual([
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'hi' },
      { role: 'assistant', content: 'Hello, I am here.' },
      { role: 'user', content: 'what is 6*7?' },
      {
        role: 'assistant',
        content: 'Let me compute.',
        tool_calls: [{ id: 'call_h1', type: 'function', function: { name: 'calculator', arguments: '{"expression":"6*7"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_h1', content: toolResult.content },
      { role: 'assistant', content: 'It is 42.' },
      { role: 'user', content: 'thanks' },
    ]);
    expect(JSON.parse(toolResult.content)).toEqual({ expression: '6*7', result: 42 });
    expect(JSON.stringify(third)).not.toMatch(/musing|I should calculate|42 then/);
  });

  it('uses the system prompt as updated between runs', async () => {
    const conversationId = await createConversation(token, {});
    fake.enqueue(text('one'), text('two'));
    await chat(server, token, { conversationId, text: 'first' });
    expect(chatRequests(fake).at(-1)!.body.messages[0]).toEqual({ role: 'user', content: 'first' });
    const updated = await server.gql(
      'mutation($id: ID!) { updateConversation(id: $id, input: { systemPrompt: "Answer in French." }) { id } }',
      { id: conversationId },
      token,
    );
    expect(updated.errors).toBeUndefined();
    await chat(server, token, { conversationId, text: 'second' });
    expect(chatRequests(fake).at(-1)!.body.messages).toEqual([
      { role: 'system', content: 'Answer in French.' },
      { role: 'user', content: 'first' },
      { role: 'assistant', content: 'one' },
      { role: 'user', content: 'second' },
    ]);
  });

  it('answers a tool call left without a result (cancelled mid-tool) with a note that it did not complete', async () => {
    const conversationId = await createConversation(token, {});
    fake.enqueue(reply([{ text: 'Sleeping now.' }, { toolCalls: [toolCall('sleepy', { label: 'h', ms: 10_000 }, 'call_slow')] }]));
    const sent = await send(server, token, { conversationId, text: 'sleep', enabledTools: ['sleepy'] });
    let sawCall!: () => void;
    const callSeen = new Promise<void>((resolve) => (sawCall = resolve));
    const following = follow(server, token, sent.runId, 0, (step: Step) => {
      if (step.__typename === 'ToolCallStep') sawCall();
    });
    await callSeen;
    const cancelled = await server.gql('mutation($id: ID!) { cancelRun(id: $id) { status } }', { id: sent.runId }, token);
    expect(cancelled.data!.cancelRun.status).toBe('CANCELLED');
    const { steps } = await following;
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
    expect(steps.some((s) => s.__typename === 'ToolResultStep')).toBe(false);

    fake.enqueue(text('Sorry about that.'));
    const before = chatRequests(fake).length;
    await chat(server, token, { conversationId, text: 'what happened?' });
    const messages = chatRequests(fake)[before]!.body.messages;
    expect(messages).toHaveLength(4);
    expect(messages[0]).toEqual({ role: 'user', content: 'sleep' });
    expect(messages[1]).toEqual({
      role: 'assistant',
      content: 'Sleeping now.',
      tool_calls: [{ id: 'call_slow', type: 'function', function: { name: 'sleepy', arguments: '{"label":"h","ms":10000}' } }],
    });
    expect(messages[2]).toMatchObject({ role: 'tool', tool_call_id: 'call_slow' });
    expect(messages[2].content).toMatch(/did not complete/);
    expect(messages[3]).toEqual({ role: 'user', content: 'what happened?' });
  });

  it('thinkingEnabled in sendMessage overrides the conversation both ways; thinkingParams only when on', async () => {
    const admin = await server.token('history-admin', 10, 'Admin');
    const provider = await server.gql(
      'mutation($input: CreateProviderInput!) { createProvider(input: $input) { id } }',
      {
        input: {
          name: 'Thinking fake',
          baseUrl: fake.url,
          apiKey: FAKE_API_KEY,
          defaultModel: 'thinker-1',
          thinkingParams: { reasoning_effort: 'high' },
        },
      },
      admin,
    );
    expect(provider.errors).toBeUndefined();
    const providerId = provider.data!.createProvider.id;
    const conversationId = await createConversation(admin, { providerId, thinkingEnabled: false });

    const bodies: any[] = [];
    const turn = async (override: boolean | undefined) => {
      fake.enqueue(reply([{ reasoning: 'hmm' }, { text: 'ok' }]));
      const input: Record<string, unknown> = { conversationId, text: `thinking ${override}` };
      if (override !== undefined) input.thinkingEnabled = override;
      const result = await chat(server, admin, input);
      expect(result.last.__typename).toBe('DoneStep');
      // Reasoning the model streams is shown as thinking whatever the switch says.
      expect(result.steps.some((s) => s.__typename === 'ThinkingStep' && s.delta === 'hmm')).toBe(true);
      bodies.push(chatRequests(fake).at(-1)!.body);
    };
    await turn(undefined); // conversation: off
    await turn(true); // override: on
    const updated = await server.gql(
      'mutation($id: ID!) { updateConversation(id: $id, input: { thinkingEnabled: true }) { thinkingEnabled } }',
      { id: conversationId },
      admin,
    );
    expect(updated.data!.updateConversation.thinkingEnabled).toBe(true);
    await turn(undefined); // conversation: on
    await turn(false); // override: off

    expect(bodies.map((b) => b.reasoning_effort)).toEqual([undefined, 'high', 'high', undefined]);
    expect(bodies.every((b) => b.model === 'thinker-1')).toBe(true);
  });

  it('a conversation without a provider uses the default provider and its model', async () => {
    const run = await chat(server, token, { text: 'plain' });
    expect((await readRun(server, token, run.runId)).status).toBe('COMPLETED');
    expect(chatRequests(fake).at(-1)!.body.model).toBe('fake-model');
  });
});
