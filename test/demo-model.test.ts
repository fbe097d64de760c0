/**
 * The README walk-through, as a newcomer runs it: no provider configured, the
 * built-in demo model answers with every kind of step. Without it and without
 * LLM_*, sendMessage answers NO_PROVIDER and stores nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { follow } from './helpers/chat.js';
import { codeOf, startServer, type TestServer } from './helpers/server.js';

describe('the demo model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ local: true });
  });
  afterAll(() => server?.stop());

  it('answers the walk-through with thinking, a current_time call, its result and text', async () => {
    const sent = await server.gql(
      `mutation { sendMessage(input: { text: "What time is it?", enabledTools: ["current_time"] }) { run { id status } conversation { id title } } }`,
    );
    expect(sent.errors).toBeUndefined();
    expect(sent.data!.sendMessage.conversation.title).toBe('What time is it?');
    const { steps, errors } = await follow(server, '', sent.data!.sendMessage.run.id);
    expect(errors).toEqual([]);
    expect(steps.map((s) => s.seq)).toEqual(steps.map((_, i) => i + 1));
    const kinds = [...new Set(steps.map((s) => s.__typename))];
    expect(kinds).toEqual(['ThinkingStep', 'ToolCallStep', 'ToolResultStep', 'TextStep', 'DoneStep']);
    const call = steps.find((s) => s.__typename === 'ToolCallStep')!;
    expect(call).toMatchObject({ name: 'current_time', input: { timeZone: 'UTC' } });
    const result = steps.find((s) => s.__typename === 'ToolResultStep')!;
    expect(result).toMatchObject({ name: 'current_time', success: true, callStepId: call.id });
    const { iso } = JSON.parse(result.content) as { iso: string };
    const text = steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    expect(text).toContain(`The current_time tool says it is ${iso}.`);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep', finishReason: 'stop', iterations: 2 });
  });

  it('stops mid-stream when cancelled', async () => {
    const sent = await server.gql(`mutation { sendMessage(input: { text: "Tell me something" }) { run { id } } }`);
    const runId = sent.data!.sendMessage.run.id as string;
    const seen: number[] = [];
    let cancelled: Promise<unknown> | undefined;
    const { steps } = await follow(server, '', runId, 0, (step) => {
      seen.push(step.seq);
      if (seen.length === 3) cancelled = server.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: runId });
    });
    expect(await cancelled).toEqual({ data: { cancelRun: { status: 'CANCELLED' } } });
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
  });

  it('lists its model', async () => {
    const providers = await server.gql('{ providers { name baseUrl models defaultModel shared } }');
    expect(providers.data!.providers).toEqual([
      { name: 'Demo model', baseUrl: 'http://demo.invalid/v1', models: ['demo'], defaultModel: 'demo', shared: true },
    ]);
  });
});

describe('without any provider', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ local: true, env: { DEMO_MODEL: 'false' } });
  });
  afterAll(() => server?.stop());

  it('answers NO_PROVIDER and stores nothing', async () => {
    const sent = await server.gql(`mutation { sendMessage(input: { text: "anyone?" }) { run { id } } }`);
    expect(codeOf(sent)).toBe('NO_PROVIDER');
    const conversations = await server.gql('{ conversations { edges { node { id } } } }');
    expect(conversations.data!.conversations.edges).toEqual([]);
    expect((await server.gql('{ providers { id } }')).data!.providers).toEqual([]);
  });
});
