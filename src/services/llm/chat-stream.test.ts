import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { describe, expect, it } from 'vitest';
import { ChunkReader } from './chat-stream.js';

type Delta = Record<string, unknown>;
const chunk = (delta: Delta, extra: Partial<ChatCompletionChunk.Choice> & { usage?: ChatCompletionChunk['usage'] } = {}): ChatCompletionChunk => {
  const { usage, ...choice } = extra;
  return {
    id: 'x', object: 'chat.completion.chunk', created: 0, model: 'm',
    choices: [{ index: 0, delta, finish_reason: null, ...choice } as ChatCompletionChunk.Choice],
    ...(usage ? { usage } : {}),
  };
};

describe('ChunkReader', () => {
  it('merges consecutive deltas of one kind in a read; reasoning_content and reasoning are thinking', () => {
    const reader = new ChunkReader();
    expect(
      reader.read([chunk({ reasoning_content: 'a' }), chunk({ reasoning: 'b' }), chunk({ content: 'c' }), chunk({ content: 'd' })]),
    ).toEqual([
      { type: 'thinking', delta: 'ab' },
      { type: 'text', delta: 'cd' },
    ]);
  });

  it('accumulates tool call fragments by index across reads, in index order, with generated ids when none came', () => {
    const reader = new ChunkReader();
    reader.read([chunk({ tool_calls: [{ index: 1, function: { name: 'calc', arguments: '{"expr' } }] })]);
    reader.read([
      chunk({ tool_calls: [{ index: 0, id: 'first', function: { name: 'current_', arguments: '' } }] }),
      chunk({ tool_calls: [{ index: 1, function: { arguments: 'ession":"1+' } }, { index: 0, function: { name: 'time', arguments: '{}' } }] }),
    ]);
    reader.read([chunk({ tool_calls: [{ index: 1, function: { arguments: '2"}' } }] }, { finish_reason: 'tool_calls' })]);
    const end = reader.end();
    expect(end.finishReason).toBe('tool_calls');
    expect(end.toolCalls).toEqual([
      { id: 'first', name: 'current_time', arguments: '{}' },
      { id: expect.stringMatching(/^call_1_/), name: 'calc', arguments: '{"expression":"1+2"}' },
    ]);
  });

  it('keeps the usage as whole non-negative counts, and ignores other choices and non-string fields', () => {
    const reader = new ChunkReader();
    const events = reader.read([
      chunk({ content: 42 }),
      chunk({ content: 'other' }, { index: 1 }),
      chunk({}, { usage: { prompt_tokens: 5.7, completion_tokens: -3, total_tokens: 8, completion_tokens_details: { reasoning_tokens: 2 } } }),
    ]);
    expect(events).toEqual([]);
    expect(reader.end()).toMatchObject({ finishReason: 'stop', toolCalls: [], usage: { promptTokens: 5, completionTokens: 0, totalTokens: 8, reasoningTokens: 2 } });
  });
});
