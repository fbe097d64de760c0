import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { SseChunkParser } from '../src/services/llm/sse-chunks.js';

const encoder = new TextEncoder();
const chunk = (content: string) => ({ id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] });
const event = (content: string) => `data: ${JSON.stringify(chunk(content))}\n\n`;
const contents = (chunks: unknown[]) => chunks.map((c) => (c as ReturnType<typeof chunk>).choices[0]!.delta.content);

/** Feeds the bytes in reads of `size` bytes and collects every chunk. */
function parseInReads(text: string, size: number, parser = new SseChunkParser()) {
  const bytes = encoder.encode(text);
  const out: unknown[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(...parser.push(bytes.subarray(i, i + size)));
  out.push(...parser.end());
  return { parser, out };
}

describe('SSE chunk parser', () => {
  it('gives the same chunks however the bytes are split, multi-byte characters and CRLF included', () => {
    const words = ['Grüße', ' 你好', ' 🙂', ' end'];
    const stream = words.map(event).join('').replace(/\n/g, '\r\n') + 'data: [DONE]\r\n\r\n';
    for (const size of [1, 2, 3, 5, 7, 64, 100_000]) {
      const { parser, out } = parseInReads(stream, size);
      expect(contents(out), `reads of ${size} bytes`).toEqual(words);
      expect(parser.done).toBe(true);
    }
  });

  it('skips comments, event names, ids and retry, joins multi-line data and accepts data without a space', () => {
    const json = JSON.stringify(chunk('a'));
    const comma = json.indexOf(',') + 1;
    // Two data lines join with a newline, which JSON allows between tokens.
    const stream = `: keep-alive\n\nevent: message\nid: 1\ndata:${json.slice(0, comma)}\ndata: ${json.slice(comma)}\n\nretry: 5\n\n${event('b')}`;
    expect(contents(parseInReads(stream, 4).out)).toEqual(['a', 'b']);
  });

  it('reads a stream with lone CR line ends', () => {
    expect(contents(parseInReads(event('x').replace(/\n/g, '\r') + event('y').replace(/\n/g, '\r'), 3).out)).toEqual(['x', 'y']);
  });

  it('ignores everything after [DONE]', () => {
    const { parser, out } = parseInReads(`${event('a')}data: [DONE]\n\n${event('late')}data: {not json\n\n`, 1000);
    expect(contents(out)).toEqual(['a']);
    expect(parser.done).toBe(true);
    expect(parser.failure).toBeUndefined();
  });

  it('keeps the chunks before bad JSON and then reports a SyntaxError', () => {
    const { parser, out } = parseInReads(`${event('a')}${event('b')}data: {"choices": [\n\n${event('c')}`, 100_000);
    expect(contents(out)).toEqual(['a', 'b']);
    expect(parser.failure).toBeInstanceOf(SyntaxError);
    expect(parser.push(encoder.encode(event('d')))).toEqual([]);
  });

  it('turns an in-stream {"error": ...} into the SDK\'s APIError with the provider message', () => {
    const headers = new Headers({ 'x-request-id': 'req-1' });
    const { parser, out } = parseInReads(`${event('a')}data: {"error": {"message": "overloaded", "type": "server_error"}}\n\n`, 100_000, new SseChunkParser(headers));
    expect(contents(out)).toEqual(['a']);
    expect(parser.failure).toBeInstanceOf(OpenAI.APIError);
    expect((parser.failure as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ message: 'overloaded' });
    expect((parser.failure as InstanceType<typeof OpenAI.APIError>).status).toBeUndefined();
  });

  it('parses one read holding 20,000 events into 20,000 chunks', () => {
    const words = Array.from({ length: 20_000 }, (_, i) => `w${i} `);
    const { out } = parseInReads(words.map(event).join(''), 10_000_000);
    expect(contents(out)).toEqual(words);
  });
});
