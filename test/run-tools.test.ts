/**
 * Tools in a run: every failure (bad JSON, unknown tool, a tool not enabled,
 * invalid arguments, an exception, a timeout) becomes a `success: false`
 * result the model reads in its next request, never a crashed run; calls of
 * one batch run in parallel; long outputs are truncated with a marker; the
 * viewer's permission level bounds what may be listed, enabled and offered;
 * the tool receives the user context; the iteration cap ends a tool loop.
 */
import { expect, it } from 'vitest';
import { chatRequests, reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, readRun, type Step, chatSuite } from './helpers/chat.js';
import { rowIdOf, userRowId } from './helpers/rows.js';
import { expectRunFailed, registerTestTools, type SleepRecord } from './helpers/runs.js';
import { codeOf, describeEachBackend, type TestServer } from './helpers/server.js';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }`;

describeEachBackend('tools in a run', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  let sleeps: SleepRecord[];
  chatSuite(backend, { sub: 'tooler', name: 'Tooler' }, (suite) => {
    ({ fake, server, token } = suite);
    ({ sleeps } = registerTestTools(server));
  }, { env: { MAX_ITERATIONS: '2' } });

  const ofType = (steps: Step[], typename: string) => steps.filter((s) => s.__typename === typename);

  it('turns bad JSON, unknown and disabled tools, invalid arguments and exceptions into failed results the model reads', async () => {
    fake.enqueue(
      reply([
        {
          toolCalls: [
            toolCall('calculator', '{"expression": "1+', 'bad_json'),
            toolCall('no_such_tool', {}, 'unknown'),
            toolCall('current_time', {}, 'disabled'),
            toolCall('calculator', {}, 'invalid'),
            toolCall('calculator', { expression: '1/0' }, 'throws'),
            toolCall('calculator', { expression: '2+2' }, 'fine'),
          ],
        },
      ]),
      text('I see some tools failed.'),
    );
    const before = chatRequests(fake).length;
    const { steps, last, runId } = await chat(server, token, { text: 'try tools', enabledTools: ['calculator'] });
    expect(last).toMatchObject({ __typename: 'DoneStep', iterations: 2 });

    const calls = ofType(steps, 'ToolCallStep');
    expect(calls.map((c) => c.toolCallId)).toEqual(['bad_json', 'unknown', 'disabled', 'invalid', 'throws', 'fine']);
    expect(calls[0]).toMatchObject({ arguments: '{"expression": "1+', input: null });
    const results = new Map(ofType(steps, 'ToolResultStep').map((r) => [r.toolCallId, r]));
    expect(results.size).toBe(6);
    const expected: [string, RegExp][] = [
      ['bad_json', /not valid JSON/],
      ['unknown', /no tool named "no_such_tool"/],
      ['disabled', /"current_time" is not enabled/],
      ['invalid', /invalid arguments: expression/],
      ['throws', /division by zero/],
    ];
    for (const [id, pattern] of expected) {
      expect(results.get(id)).toMatchObject({ success: false });
      expect(results.get(id)!.content).toMatch(pattern);
      expect(results.get(id)!.callStepId).toBe(calls.find((c) => c.toolCallId === id)!.id);
    }
    expect(results.get('fine')).toMatchObject({ success: true, name: 'calculator' });
    expect(JSON.parse(results.get('fine')!.content)).toEqual({ expression: '2+2', result: 4 });

    // The second request carries every result, failed ones included, as tool messages.
    expect(chatRequests(fake).length - before).toBe(2);
    const second = chatRequests(fake)[before + 1]!.body.messages as any[];
    const toolMessages = second.filter((m) => m.role === 'tool');
    expect(toolMessages.map((m) => m.tool_call_id).sort()).toEqual(['bad_json', 'disabled', 'fine', 'invalid', 'throws', 'unknown']);
    for (const message of toolMessages) expect(message.content).toBe(results.get(message.tool_call_id)!.content);
    expect((await readRun(server, token, runId)).status).toBe('COMPLETED');
  });

  it('runs the calls of one batch in parallel', async () => {
    fake.enqueue(
      reply([{ toolCalls: [toolCall('sleepy', { label: 'a', ms: 400 }), toolCall('sleepy', { label: 'b', ms: 150 })], interleave: true }]),
      text('Both slept.'),
    );
    sleeps.length = 0;
    const { steps, last } = await chat(server, token, { text: 'sleep twice', enabledTools: ['sleepy'] });
    expect(last).toMatchObject({ __typename: 'DoneStep' });
    const [a, b] = [sleeps.find((s) => s.label === 'a')!, sleeps.find((s) => s.label === 'b')!];
    // Each started before the other ended: they overlapped.
    expect(a.start).toBeLessThan(b.end!);
    expect(b.start).toBeLessThan(a.end!);
    expect(Math.max(a.end!, b.end!) - Math.min(a.start, b.start)).toBeLessThan(540);
    // One ToolCallStep per call in the model's order, then results in the order they finished.
    const calls = ofType(steps, 'ToolCallStep');
    expect(calls.map((c) => c.input.label)).toEqual(['a', 'b']);
    const results = ofType(steps, 'ToolResultStep');
    expect(results.map((r) => [r.callStepId, r.success])).toEqual([
      [calls[1]!.id, true],
      [calls[0]!.id, true],
    ]);
    expect(results[0]!.durationMs).toBeGreaterThanOrEqual(140);
    expect(results[1]!.durationMs).toBeGreaterThanOrEqual(390);
    expect(Math.max(...calls.map((c) => c.index))).toBeLessThan(Math.min(...results.map((r) => r.index)));
  });

  it('bounds a tool by its timeout', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('never_returns', {}, 'hang')] }]), text('It timed out.'));
    const started = Date.now();
    const { steps, last } = await chat(server, token, { text: 'hang', enabledTools: ['never_returns'] });
    expect(last).toMatchObject({ __typename: 'DoneStep' });
    const [result] = ofType(steps, 'ToolResultStep');
    expect(result).toMatchObject({ success: false, toolCallId: 'hang' });
    expect(result!.content).toMatch(/timed out/);
    expect(result!.durationMs).toBeGreaterThanOrEqual(190);
    expect(Date.now() - started).toBeLessThan(5_000);
    const sent = chatRequests(fake).at(-1)!.body.messages.at(-1);
    expect(sent).toEqual({ role: 'tool', tool_call_id: 'hang', content: result!.content });
  });

  it('truncates an oversized output with a marker, and feeds the model the truncated text', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('big_output', {}, 'big')] }]), text('Long.'));
    const { steps } = await chat(server, token, { text: 'big', enabledTools: ['big_output'] });
    const [result] = ofType(steps, 'ToolResultStep');
    expect(result!.success).toBe(true);
    expect(result!.content.length).toBeLessThan(17_000);
    expect(result!.content.startsWith('x'.repeat(16_000))).toBe(true);
    expect(result!.content).toMatch(/\[output truncated[^\]]*\]$/);
    expect(chatRequests(fake).at(-1)!.body.messages.at(-1).content).toBe(result!.content);
  });

  it('lists only the tools at or below the viewer level', async () => {
    const names = async (t: string) => ((await server.gql('{ tools { name source minPermissionLevel parameters } }', {}, t)).data!.tools as any[]);
    const user = await names(token);
    expect(user.map((t) => t.name)).toEqual(['big_output', 'calculator', 'current_time', 'never_returns', 'sleepy', 'whoami']);
    expect(user.every((t) => t.minPermissionLevel <= 1)).toBe(true);
    expect(user.find((t) => t.name === 'calculator').parameters).toMatchObject({ type: 'object', properties: { expression: { type: 'string' } } });
    const admin = await names(await server.token('tool-admin', 10));
    expect(admin.map((t) => t.name)).toContain('admin_only');
  });

  it('refuses unknown enabledTools (BAD_USER_INPUT) and tools above the level (FORBIDDEN), storing nothing', async () => {
    const countBefore = (await server.gql('{ conversations(first: 100) { edges { node { id } } } }', {}, token)).data!.conversations.edges.length;
    const unknown = await server.gql(SEND, { input: { text: 'x', enabledTools: ['calculator', 'no_such_tool'] } }, token);
    expect(codeOf(unknown)).toBe('BAD_USER_INPUT');
    const forbidden = await server.gql(SEND, { input: { text: 'x', enabledTools: ['admin_only'] } }, token);
    expect(codeOf(forbidden)).toBe('FORBIDDEN');
    const countAfter = (await server.gql('{ conversations(first: 100) { edges { node { id } } } }', {}, token)).data!.conversations.edges.length;
    expect(countAfter).toBe(countBefore);
    // An admin may enable it.
    fake.enqueue(text('ok'));
    const adminToken = await server.token('tool-admin', 10);
    const allowed = await chat(server, adminToken, { text: 'x', enabledTools: ['admin_only'] });
    expect(allowed.last).toMatchObject({ __typename: 'DoneStep' });
  });

  it('offers the model only the enabled tools, and none when none are enabled', async () => {
    fake.enqueue(text('ok'), text('ok'));
    await chat(server, token, { text: 'with calculator', enabledTools: ['calculator'] });
    const offered = chatRequests(fake).at(-1)!.body.tools as any[];
    expect(offered.map((t) => t.function.name)).toEqual(['calculator']);
    expect(offered[0]).toMatchObject({ type: 'function', function: { parameters: { type: 'object', properties: { expression: { type: 'string' } } } } });
    await chat(server, token, { text: 'without tools' });
    expect(chatRequests(fake).at(-1)!.body.tools).toBeUndefined();
  });

  it('gives the tool the user context: user id, username, permission level, workspace', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('whoami', {}, 'who')] }]), text('I know you.'));
    const { steps, conversationId } = await chat(server, token, { text: 'who am I?', enabledTools: ['whoami'] });
    const [result] = ofType(steps, 'ToolResultStep');
    expect(result!.success).toBe(true);
    expect(JSON.parse(result!.content)).toEqual({
      userId: await userRowId(server, 'tooler'),
      username: 'Tooler',
      permissionLevel: 1,
      workspace: rowIdOf(conversationId),
    });
  });

  it('stops a model that keeps calling tools at MAX_ITERATIONS, keeping the partial answer', async () => {
    fake.enqueue(
      reply([{ text: 'Let me check.' }, { toolCalls: [toolCall('calculator', { expression: '1+1' }, 'it1')] }]),
      reply([{ text: 'Checking again.' }, { toolCalls: [toolCall('calculator', { expression: '2+2' }, 'it2')] }]),
    );
    const before = chatRequests(fake).length;
    const result = await chat(server, token, { text: 'loop', enabledTools: ['calculator'] });
    const { run, last } = await expectRunFailed(server, token, result, 'MAX_ITERATIONS', 'Let me check.\n\nChecking again.');
    expect(chatRequests(fake).length - before).toBe(2);
    expect(run.iterations).toBe(2);
    expect(last.index).toBe(result.steps.filter((s) => s.__typename !== 'ErrorStep').reduce((m, s) => Math.max(m, s.index), -1) + 1);
    expect(run.assistantMessage.steps.map((s: any) => s.__typename)).toEqual([
      'TextStep',
      'ToolCallStep',
      'ToolResultStep',
      'TextStep',
      'ToolCallStep',
      'ToolResultStep',
    ]);
  });
});
