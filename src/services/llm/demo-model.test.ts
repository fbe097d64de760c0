import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { streamChat, type ChatStreamEvent } from './chat-stream.js';
import { createDemoFetch, DEMO_BASE_URL, DEMO_MODEL_NAME } from './demo-model.js';

const client = new OpenAI({ baseURL: DEMO_BASE_URL, apiKey: 'unused', maxRetries: 0, fetch: createDemoFetch({ sleep: async () => {} }) });
const calculator = { type: 'function' as const, function: { name: 'calculator', parameters: { type: 'object' } } };
const question = { role: 'user' as const, content: 'What is 6*7?' };

async function chunksOf(body: Record<string, unknown>): Promise<ChatCompletionChunk[]> {
  const stream = await client.chat.completions.create({ model: DEMO_MODEL_NAME, messages: [question], stream: true, ...body });
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return chunks;
}

async function eventsOf(request: { tools?: (typeof calculator)[]; extraBody?: Record<string, unknown> }): Promise<ChatStreamEvent[]> {
  const events: ChatStreamEvent[] = [];
  const stream = streamChat(client, { model: DEMO_MODEL_NAME, messages: [question], tools: request.tools ?? [], extraBody: request.extraBody }, {
    signal: new AbortController().signal,
    stallTimeoutMs: 5_000,
  });
  for await (const event of stream) events.push(event);
  return events;
}

describe('the demo endpoint', () => {
  it('streams a calculator call as chat.completion.chunk tool_calls deltas, its arguments in fragments', async () => {
    const chunks = await chunksOf({ tools: [calculator], stream_options: { include_usage: true } });
    expect(new Set(chunks.map((c) => c.object))).toEqual(new Set(['chat.completion.chunk']));
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
    expect(chunks[0]!.choices[0]!.delta).toMatchObject({ role: 'assistant', content: '' });
    const calls = chunks.flatMap((c) => c.choices.flatMap((choice) => choice.delta.tool_calls ?? []));
    expect(calls[0]).toEqual({ index: 0, id: 'call_demo_1_0', type: 'function', function: { name: 'calculator', arguments: '' } });
    const fragments = calls.slice(1).map((call) => call.function!.arguments!);
    expect(fragments.length).toBeGreaterThan(3);
    expect(calls.slice(1).every((call) => call.index === 0 && call.id === undefined)).toBe(true);
    expect(fragments.join('')).toBe('{"expression":"6*7"}');
    const finishes = chunks.flatMap((c) => c.choices.map((choice) => choice.finish_reason)).filter(Boolean);
    expect(finishes).toEqual(['tool_calls']);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { completion_tokens: calls.length } });
  });

  it('through streamChat: the call accumulates; thinking only when the request asks for reasoning', async () => {
    const plain = await eventsOf({ tools: [calculator] });
    expect(plain).toEqual([
      { type: 'end', toolCalls: [{ id: 'call_demo_1_0', name: 'calculator', arguments: '{"expression":"6*7"}' }], finishReason: 'tool_calls', usage: expect.any(Object) },
    ]);
    const thinking = await eventsOf({ tools: [calculator], extraBody: { reasoning_effort: 'medium' } });
    expect([...new Set(thinking.map((e) => e.type))]).toEqual(['thinking', 'end']);
    const text = await eventsOf({});
    expect(text.filter((e) => e.type === 'text').map((e) => e.type === 'text' && e.delta).join('')).toMatch(/^6\*7 = 42\./);
  });

  it('answers GET /models and nothing else', async () => {
    expect((await client.models.list()).data.map((m) => m.id)).toEqual([DEMO_MODEL_NAME]);
    const demoFetch = createDemoFetch();
    expect((await demoFetch(`${DEMO_BASE_URL}/embeddings`, { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await demoFetch(`${DEMO_BASE_URL}/chat/completions`, { method: 'POST', body: 'not json' })).status).toBe(400);
  });
});
