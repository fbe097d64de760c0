import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import type { ChatRequest, ChatStreamEvent, ToolCallRequest } from '../llm/chat-stream.js';
import { builtinTools } from '../tools/builtin/index.js';
import { ToolExecutor } from '../tools/tool-executor.js';
import { ToolRegistry } from '../tools/tool-registry.js';
import { runAgentLoop, type AgentLoopInput } from './agent-loop.js';
import { RunRecorder } from './run-recorder.js';

type Turn = ChatStreamEvent[] | (() => AsyncIterable<ChatStreamEvent>);

const end = (toolCalls: ToolCallRequest[] = [], usage = { promptTokens: 3, completionTokens: 2, totalTokens: 5, reasoningTokens: null }) =>
  ({ type: 'end', toolCalls, finishReason: toolCalls.length > 0 ? 'tool_calls' : 'stop', usage }) as const;

/** A test model: each call streams the next scripted turn, and the requests are kept. */
function testModel(turns: Turn[]) {
  const requests: ChatCompletionMessageParam[][] = [];
  const chat = (request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent> => {
    requests.push(structuredClone(request.messages));
    const turn = turns.shift();
    if (!turn) throw new Error('no more turns');
    if (typeof turn === 'function') return turn();
    return (async function* () {
      for (const event of turn) {
        if (signal.aborted) throw signal.reason;
        yield event;
      }
    })();
  };
  return { chat, requests };
}

function loop(turns: Turn[], extra: Partial<AgentLoopInput> = {}) {
  const model = testModel(turns);
  const recorder = new RunRecorder({ runId: 'run', conversationId: 'conv', assistantMessageId: 'msg' });
  const tools = new ToolExecutor(new ToolRegistry(builtinTools));
  const context = { userId: 'u', username: 'u', permissionLevel: 1, workspace: 'w' };
  const input: AgentLoopInput = {
    messages: [{ role: 'user', content: 'hi' }],
    tools: [],
    request: { model: 'test' },
    chat: model.chat,
    runTools: (calls, signal, onResult) => tools.executeAll(calls, { enabled: new Set(['calculator']), context, signal, onResult }),
    sink: recorder,
    signal: new AbortController().signal,
    maxIterations: 5,
    ...extra,
  };
  return { run: () => runAgentLoop(input), recorder, requests: model.requests };
}

describe('runAgentLoop', () => {
  it('streams thinking and text into steps and ends done with the usage', async () => {
    const { run, recorder } = loop([[{ type: 'thinking', delta: 'let me ' }, { type: 'thinking', delta: 'think' }, { type: 'text', delta: 'Hello' }, end()]]);
    expect(await run()).toEqual({ kind: 'done', finishReason: 'stop', usage: { promptTokens: 3, completionTokens: 2, totalTokens: 5, reasoningTokens: null }, iterations: 1 });
    expect(recorder.steps.map((s) => [s.type, 'content' in s ? s.content : ''])).toEqual([['thinking', 'let me think'], ['text', 'Hello']]);
  });

  it('executes tool calls, feeds the results back with their ids and sums the usage over iterations', async () => {
    const calls = [
      { id: 'c1', name: 'calculator', arguments: '{"expression":"2+2"}' },
      { id: 'c2', name: 'calculator', arguments: '{"expression":' }, // bad JSON
      { id: 'c3', name: 'no_such_tool', arguments: '{}' },
    ];
    const { run, recorder, requests } = loop([[{ type: 'text', delta: 'Checking.' }, end(calls)], [{ type: 'text', delta: 'It is 4.' }, end()]]);
    const ending = await run();
    expect(ending).toMatchObject({ kind: 'done', iterations: 2, usage: { promptTokens: 6, completionTokens: 4, totalTokens: 10 } });
    const second = requests[1] ?? [];
    expect(second[1]).toMatchObject({ role: 'assistant', content: 'Checking.', tool_calls: calls.map((c) => ({ id: c.id, function: { name: c.name, arguments: c.arguments } })) });
    const toolMessages = second.slice(2) as { role: string; tool_call_id: string; content: string }[];
    expect(toolMessages.map((m) => [m.role, m.tool_call_id])).toEqual([['tool', 'c1'], ['tool', 'c2'], ['tool', 'c3']]);
    expect(toolMessages[0]?.content).toContain('4');
    const results = recorder.steps.filter((s) => s.type === 'tool_result');
    expect(results.map((r) => [r.toolCallId, r.success])).toEqual(expect.arrayContaining([['c1', true], ['c2', false], ['c3', false]]));
    expect(toolMessages[2]?.content).toMatch(/no tool named "no_such_tool"/);
    const callSteps = recorder.steps.filter((s) => s.type === 'tool_call');
    for (const result of results) expect(callSteps.find((c) => c.toolCallId === result.toolCallId)?.id).toBe(result.callStepId);
  });

  it('stops at the iteration cap with MAX_ITERATIONS', async () => {
    const call = (id: string) => [end([{ id, name: 'calculator', arguments: '{"expression":"1"}' }])];
    const { run } = loop([call('a'), call('b'), call('c')], { maxIterations: 2 });
    expect(await run()).toMatchObject({ kind: 'error', code: 'MAX_ITERATIONS', iterations: 2 });
  });

  it('a provider stream that fails becomes the ending, keeping what came before', async () => {
    const failing = async function* (): AsyncGenerator<ChatStreamEvent> {
      yield { type: 'text', delta: 'partial' };
      throw new Error('socket hang up');
    };
    const { run, recorder } = loop([failing]);
    expect(await run()).toMatchObject({ kind: 'error', code: 'PROVIDER_ERROR', iterations: 1 });
    expect(recorder.steps).toEqual([expect.objectContaining({ type: 'text', content: 'partial' })]);
    const { run: runEnded } = loop([[{ type: 'text', delta: 'no end' }]]);
    expect(await runEnded()).toMatchObject({ kind: 'error', code: 'PROVIDER_ERROR' });
  });

  it('an abort mid-stream ends CANCELLED, and no later result is recorded', async () => {
    const controller = new AbortController();
    const stalled = async function* (): AsyncGenerator<ChatStreamEvent> {
      yield { type: 'text', delta: 'before' };
      controller.abort();
      throw new Error('aborted read');
    };
    const { run } = loop([stalled], { signal: controller.signal });
    expect(await run()).toMatchObject({ kind: 'error', code: 'CANCELLED', iterations: 1 });

    const late = new AbortController();
    const { run: runTools, recorder } = loop([[end([{ id: 'c1', name: 'calculator', arguments: '{"expression":"1"}' }])]], {
      signal: late.signal,
      runTools: async (calls, _signal, onResult) => {
        late.abort();
        const result = { toolCallId: calls[0]?.id ?? '', name: 'calculator', content: '1', success: true, durationMs: 0 };
        onResult(result);
        return [result];
      },
    });
    expect(await runTools()).toMatchObject({ kind: 'error', code: 'CANCELLED' });
    expect(recorder.steps.map((s) => s.type)).toEqual(['tool_call']);
  });
});
