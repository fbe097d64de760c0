/**
 * One test per defect of the Python seed (`chat_service.py`), each of which
 * would fail against a port that kept the defect:
 * - the user context was never applied to tools;
 * - the user's message was never stored, and was sent as a JSON string;
 * - history replayed only text, dropping tool calls and results;
 * - usage was overwritten by each iteration instead of summed;
 * - `done` carried a fresh random id, not the stored message's id;
 * - every event re-sent the step's whole text (quadratic bytes);
 * - a provider error mid-run lost everything produced so far;
 * - the stream was tied to one request: a client that reconnected lost the run.
 */
import { expect, it } from 'vitest';
import { chatRequests, reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, expectGapless, follow, readRun, send, STEP_FIELDS, type Step, chatSuite } from './helpers/chat.js';
import { rowIdOf, userRowId } from './helpers/rows.js';
import { expectRunFailed, messagesOf, registerTestTools } from './helpers/runs.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('seed defects stay fixed', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'seedling', name: 'Seedling', level: 2 }, (suite) => {
    ({ fake, server, token } = suite);
    registerTestTools(server);
  });

  it('applies the user context to tools', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('whoami', {}, 'ctx')] }]), text('Hello Seedling.'));
    const { steps, conversationId } = await chat(server, token, { text: 'who am I?', enabledTools: ['whoami'] });
    const result = steps.find((s) => s.__typename === 'ToolResultStep')!;
    expect(result.success).toBe(true);
    expect(JSON.parse(result.content)).toEqual({
      userId: await userRowId(server, 'seedling'),
      username: 'Seedling',
      permissionLevel: 2,
      workspace: rowIdOf(conversationId),
    });
  });

  it('stores the user message and sends it as plain text, not JSON', async () => {
    const words = 'He said "hi" and {"not": "json"}';
    fake.enqueue(text('Noted.'));
    const before = chatRequests(fake).length;
    const { conversationId, userMessageId } = await chat(server, token, { text: words });
    expect(await messagesOf(server, token, conversationId)).toEqual([
      ['USER', words],
      ['ASSISTANT', 'Noted.'],
    ]);
    const stored = await server.gql('query($id: ID!) { node(id: $id) { ... on Message { role text steps { __typename } } } }', { id: userMessageId }, token);
    expect(stored.data!.node).toEqual({ role: 'USER', text: words, steps: [] });
    expect(chatRequests(fake)[before]!.body.messages).toEqual([{ role: 'user', content: words }]);
    // And the next turn still carries it (history keeps user turns).
    fake.enqueue(text('Again.'));
    await chat(server, token, { conversationId, text: 'next' });
    expect(chatRequests(fake).at(-1)!.body.messages.map((m: any) => [m.role, m.content])).toEqual([
      ['user', words],
      ['assistant', 'Noted.'],
      ['user', 'next'],
    ]);
  });

  it('replays earlier tool calls and results in history (see also run-history.test.ts)', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('calculator', { expression: '2^10' }, 'call_pow')] }]), text('1024.'));
    const first = await chat(server, token, { text: '2^10?', enabledTools: ['calculator'] });
    fake.enqueue(text('Yes.'));
    const before = chatRequests(fake).length;
    await chat(server, token, { conversationId: first.conversationId, text: 'sure?' });
    const messages = chatRequests(fake)[before]!.body.messages;
    expect(messages).toEqual([
      { role: 'user', content: '2^10?' },
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_pow', type: 'function', function: { name: 'calculator', arguments: '{"expression":"2^10"}' } }] },
      { role: 'tool', tool_call_id: 'call_pow', content: '{"expression":"2^10","result":1024}' },
      { role: 'assistant', content: '1024.' },
      { role: 'user', content: 'sure?' },
    ]);
  });

  it('sums usage over iterations instead of keeping the last', async () => {
    fake.enqueue(
      reply([{ toolCalls: [toolCall('calculator', { expression: '1+1' })] }], { usage: { prompt: 100, completion: 10, reasoning: 4 } }),
      reply([{ toolCalls: [toolCall('calculator', { expression: '2+2' })] }], { usage: { prompt: 200, completion: 20, reasoning: 5 } }),
      text('Done.', { usage: { prompt: 300, completion: 30, reasoning: 6 } }),
    );
    const { last, runId } = await chat(server, token, { text: 'sum', enabledTools: ['calculator'] });
    const expected = { promptTokens: 600, completionTokens: 60, totalTokens: 660, reasoningTokens: 15 };
    expect(last).toMatchObject({ __typename: 'DoneStep', iterations: 3, tokenCount: 60, usage: expected });
    const run = await readRun(server, token, runId);
    expect(run.usage).toEqual(expected);
    expect(run.iterations).toBe(3);
    expect(run.assistantMessage.usage.totalTokens).toBe(660);
    expect(run.assistantMessage.tokenCount).toBe(60);
  });

  it('DoneStep.messageId is the stored assistant message', async () => {
    fake.enqueue(text('Stored answer.'));
    const { last, runId, conversationId } = await chat(server, token, { text: 'answer me' });
    const run = await readRun(server, token, runId);
    expect(last!.messageId).toBe(run.assistantMessage.id);
    const node = await server.gql('query($id: ID!) { node(id: $id) { ... on Message { role text run { id } } } }', { id: last!.messageId }, token);
    expect(node.data!.node).toEqual({ role: 'ASSISTANT', text: 'Stored answer.', run: { id: runId } });
    const listed = await server.gql(`query($id: ID!) { conversation(id: $id) { messages { edges { node { id role } } } } }`, { id: conversationId }, token);
    expect(listed.data!.conversation.messages.edges.at(-1).node).toEqual({ id: last!.messageId, role: 'ASSISTANT' });
  });

  it('events carry deltas: the deltas of a text step add up to its text, bytes linear in length', async () => {
    const answer = Array.from({ length: 120 }, (_, i) => `d${i}`).join(' ');
    fake.enqueue(text(answer, { delayMs: 5 }));
    const { steps, runId } = await chat(server, token, { text: 'stream' });
    const texts = steps.filter((s) => s.__typename === 'TextStep');
    expect(texts.length).toBeGreaterThan(3);
    expect(new Set(texts.map((s) => s.id)).size).toBe(1);
    expect(texts.reduce((n, s) => n + s.delta.length, 0)).toBe(answer.length);
    expect(texts.map((s) => s.delta).join('')).toBe(answer);
    // Each event adds only its delta; no event repeats earlier text.
    for (let i = 1; i < texts.length; i++) {
      expect(texts[i]!.content).toBe(texts[i - 1]!.content + texts[i]!.delta);
      expect(texts[i]!.delta.length).toBeLessThan(texts[i]!.content.length);
    }
    // A client selecting only delta receives the answer's length in text, once.
    const client = server.ws(token);
    let bytes = 0;
    for await (const result of client.iterate({
      query: `subscription($runId: ID!) { chatSteps(runId: $runId) { ... on TextStep { delta } } }`,
      variables: { runId },
    })) {
      bytes += ((result.data as any)?.chatSteps?.delta ?? '').length;
    }
    await client.dispose();
    expect(bytes).toBe(answer.length);
  });

  it('keeps what was produced when the provider fails mid-run', async () => {
    fake.enqueue(
      reply([{ text: 'First I compute.' }, { toolCalls: [toolCall('calculator', { expression: '3*3' }, 'call_9')] }]),
      text('The result is nine and then', { delayMs: 10, fault: { after: 4, kind: 'drop' } }),
    );
    const result = await chat(server, token, { text: 'fail later', enabledTools: ['calculator'] });
    const { run, last } = await expectRunFailed(server, token, result, 'PROVIDER_ERROR', 'First I compute.\n\nThe result is ');
    expect(run.assistantMessage.steps.map((s: any) => s.__typename)).toEqual(['TextStep', 'ToolCallStep', 'ToolResultStep', 'TextStep']);
    expect(last.index).toBe(4);
    expect(run.iterations).toBe(2);
  });

  it('a client that reconnects with `after` gets the rest of the run', async () => {
    const answer = Array.from({ length: 60 }, (_, i) => `r${i}`).join(' ');
    fake.enqueue(text(answer, { delayMs: 15 }));
    const sent = await send(server, token, { text: 'long one' });
    // The first connection drops after a few events.
    const first: Step[] = [];
    const client = server.ws(token);
    for await (const result of client.iterate({
      query: `subscription($runId: ID!) { chatSteps(runId: $runId) { ${STEP_FIELDS} } }`,
      variables: { runId: sent.runId },
    })) {
      first.push((result.data as any).chatSteps);
      if (first.length === 3) break;
    }
    await client.dispose();
    const lastSeen = first.at(-1)!.seq;
    const rest = await follow(server, token, sent.runId, lastSeen);
    expect(rest.errors).toEqual([]);
    expect(rest.steps[0]!.seq).toBe(lastSeen + 1);
    const all = [...first, ...rest.steps];
    expect(expectGapless(all)).toBe(true);
    expect(all.at(-1)!.__typename).toBe('DoneStep');
    expect(all.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('')).toBe(answer);
    // The resumed stream's content picks up mid-step where the first left off.
    const firstResumedText = rest.steps.find((s) => s.__typename === 'TextStep')!;
    expect(first.every((s) => s.__typename === 'TextStep' && s.id === firstResumedText.id)).toBe(true);
    expect(firstResumedText.content).toBe(first.at(-1)!.content + firstResumedText.delta);
    expect(answer.startsWith(firstResumedText.content)).toBe(true);
    expect((await follow(server, token, sent.runId)).steps).toEqual(all);
  });

  it('a reloaded page sees the partial answer of an active run and resumes from its lastSeq', async () => {
    const answer = Array.from({ length: 80 }, (_, i) => `p${i}`).join(' ');
    fake.enqueue(reply([{ thinking: 'planning' }, { text: answer }], { delayMs: 15 }));
    const sent = await send(server, token, { text: 'reload me' });
    let reached!: () => void;
    const midway = new Promise<void>((resolve) => (reached = resolve));
    const live = follow(server, token, sent.runId, 0, (step) => {
      if (step.__typename === 'TextStep' && step.content.length > 40) reached();
    });
    await midway;
    // The page reloads: it reads the conversation and the active run.
    const page = await server.gql(
      `query($id: ID!) { conversation(id: $id) {
         activeRun { id status lastSeq assistantMessage { id text steps { __typename ... on TextStep { content seq } ... on ThinkingStep { content } } } }
         messages { edges { node { role text } } } } }`,
      { id: sent.conversationId },
      token,
    );
    const active = page.data!.conversation.activeRun;
    expect(active.id).toBe(sent.runId);
    expect(active.status).toBe('RUNNING');
    const [thinking, textStep] = active.assistantMessage.steps;
    expect(thinking).toEqual({ __typename: 'ThinkingStep', content: 'planning' });
    expect(textStep.__typename).toBe('TextStep');
    expect(textStep.content.length).toBeGreaterThan(40);
    expect(answer.startsWith(textStep.content)).toBe(true);
    expect(active.assistantMessage.text).toBe(textStep.content);
    expect(textStep.seq).toBeLessThanOrEqual(active.lastSeq);
    expect(page.data!.conversation.messages.edges.map((e: any) => e.node.role)).toEqual(['USER', 'ASSISTANT']);
    // Resuming from lastSeq completes the answer exactly.
    const rest = await follow(server, token, sent.runId, active.lastSeq);
    const restText = rest.steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    const storedBefore = (await follow(server, token, sent.runId, 0)).steps
      .filter((s) => s.__typename === 'TextStep' && s.seq <= active.lastSeq)
      .map((s) => s.delta)
      .join('');
    expect(storedBefore + restText).toBe(answer);
    expect(rest.steps.at(-1)!.__typename).toBe('DoneStep');
    await live;
  });
});
