/**
 * The README walk-through, as a newcomer runs it: no provider configured, the
 * built-in demo model answers with every kind of step: a calculator call for
 * arithmetic (also through the terminal chat), thinking only when it is on,
 * and a long answer that can be followed again after a reload and stopped
 * midway. Without it and without LLM_*, sendMessage answers NO_PROVIDER and
 * stores nothing.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LONG_ANSWER } from '../src/services/llm/demo-long-answer.js';
import { follow, type Step } from './helpers/chat.js';
import { codeOf, startServer, type TestServer } from './helpers/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');
const textOf = (steps: Step[]) => steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');

/** The first `count` steps of a run, from a subscriber that then goes away (a page reload). */
async function firstSteps(server: TestServer, runId: string, count: number): Promise<Step[]> {
  const client = server.ws();
  const steps: Step[] = [];
  try {
    for await (const result of client.iterate({
      query: `subscription($runId: ID!) { chatSteps(runId: $runId) { __typename ... on TextStep { id seq delta } } }`,
      variables: { runId },
    })) {
      steps.push((result.data as { chatSteps: Step }).chatSteps);
      if (steps.length === count) break;
    }
  } finally {
    await client.dispose();
  }
  return steps;
}

describe('the demo model', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ local: true });
  });
  afterAll(() => server?.stop());

  it('answers the walk-through with thinking, a current_time call, its result and text', async () => {
    const sent = await server.gql(
      `mutation { sendMessage(input: { text: "What time is it?", enabledTools: ["current_time"], thinkingEnabled: true }) { run { id status } conversation { id title } } }`,
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

  it('calls the calculator for arithmetic, then answers with its result; no thinking when it is off', async () => {
    const sent = await server.gql(
      `mutation { sendMessage(input: { text: "What is 6*7?", enabledTools: ["calculator", "current_time"] }) { run { id } } }`,
    );
    const { steps, errors } = await follow(server, '', sent.data!.sendMessage.run.id);
    expect(errors).toEqual([]);
    expect([...new Set(steps.map((s) => s.__typename))]).toEqual(['ToolCallStep', 'ToolResultStep', 'TextStep', 'DoneStep']);
    const call = steps.find((s) => s.__typename === 'ToolCallStep')!;
    expect(call).toMatchObject({ name: 'calculator', input: { expression: '6*7' }, arguments: '{"expression":"6*7"}' });
    const result = steps.find((s) => s.__typename === 'ToolResultStep')!;
    expect(result).toMatchObject({ name: 'calculator', success: true, callStepId: call.id });
    expect(JSON.parse(result.content)).toEqual({ expression: '6*7', result: 42 });
    expect(textOf(steps)).toContain('6*7 = 42.');
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep', finishReason: 'stop', iterations: 2 });
  });

  it('thinks only when thinking is on, for the conversation or the message', async () => {
    const kinds = async (input: string) => {
      const sent = await server.gql(`mutation { sendMessage(input: { ${input} }) { run { id } conversation { id } } }`);
      const { steps } = await follow(server, '', sent.data!.sendMessage.run.id);
      return { kinds: [...new Set(steps.map((s) => s.__typename))], conversationId: sent.data!.sendMessage.conversation.id as string };
    };
    const off = await kinds('text: "What is 2+2?"');
    expect(off.kinds).toEqual(['TextStep', 'DoneStep']);
    expect((await kinds('text: "What is 2+2?", thinkingEnabled: true')).kinds).toEqual(['ThinkingStep', 'TextStep', 'DoneStep']);
    const updated = await server.gql(`mutation($id: ID!) { updateConversation(id: $id, input: { thinkingEnabled: true }) { thinkingEnabled } }`, {
      id: off.conversationId,
    });
    expect(updated.errors).toBeUndefined();
    expect((await kinds(`text: "And 3+3?", conversationId: "${off.conversationId}"`)).kinds).toEqual(['ThinkingStep', 'TextStep', 'DoneStep']);
  });

  it('streams a long answer slowly: a reload follows it again, Stop keeps the partial text', async () => {
    const sent = await server.gql(`mutation { sendMessage(input: { text: "Give me a long answer" }) { run { id } } }`);
    const runId = sent.data!.sendMessage.run.id as string;
    const beforeReload = await firstSteps(server, runId, 4);
    let cancelled: Promise<any> | undefined;
    const started = Date.now();
    const seen: Step[] = [];
    const { steps } = await follow(server, '', runId, 0, (step) => {
      seen.push(step);
      if (!cancelled && textOf(seen).length > textOf(beforeReload).length + 20) {
        cancelled = server.gql(`mutation($id: ID!) { cancelRun(id: $id) { status error { code } assistantMessage { text } } }`, { id: runId });
      }
    });
    expect(steps.slice(0, 4).map(({ id, seq, delta }) => ({ id, seq, delta }))).toEqual(beforeReload.map(({ id, seq, delta }) => ({ id, seq, delta })));
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
    const stopped = (await cancelled)!.data.cancelRun;
    expect(stopped).toMatchObject({ status: 'CANCELLED', error: { code: 'CANCELLED' } });
    const partial = stopped.assistantMessage.text as string;
    expect(partial.length).toBeGreaterThan(textOf(beforeReload).length);
    expect(partial.length).toBeLessThan(LONG_ANSWER.length / 2);
    expect(LONG_ANSWER.startsWith(partial)).toBe(true);
    expect(textOf(steps)).toBe(partial);
    expect(Date.now() - started).toBeLessThan(8_000);
  });

  it('answers the README terminal chat: npm run chat -- "What is 6*7?" --tools calculator,current_time', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'chat', '--', 'What is 6*7?', '--tools', 'calculator,current_time', '--url', server.url], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(stdout).toContain('→ calculator({"expression":"6*7"})');
    expect(stdout).toMatch(/← calculator ok in \d+ ms: .*42/);
    expect(stdout).toContain('6*7 = 42.');
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
