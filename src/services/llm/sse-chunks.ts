/**
 * The chat completion chunks in a server-sent event stream, parsed from the
 * body of the response the `openai` SDK's request returned.
 *
 * Hand-written because the SDK's own reader is the largest single cost of a
 * run: per event it passes the bytes through four async generators, copies
 * its pending buffer twice and decodes each line separately, and a network
 * read holding hundreds of events costs time quadratic in its size. Here a
 * network read is decoded once and split in one pass, and the caller gets
 * every chunk of that read at once. The SDK still makes the request, with
 * its retries and error classes; the semantics follow its `Stream`: `[DONE]`
 * ends the stream, an event whose data holds `error` is an `APIError`, bad
 * JSON is a `SyntaxError`.
 */
import OpenAI from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';

export class SseChunkParser {
  private readonly decoder = new TextDecoder();
  private pending = '';
  private data: string[] = [];
  /** `[DONE]` was seen: whatever follows is ignored. */
  done = false;
  /**
   * The stream's failure (bad JSON, an in-stream error), kept rather than
   * thrown so the chunks of the same read before it still count; the caller
   * throws it after handling them. Nothing after it is parsed.
   */
  failure?: Error;

  constructor(private readonly headers?: Headers) {}

  /** The chunks completed by these bytes, in order, up to a failure. */
  push(bytes: Uint8Array): ChatCompletionChunk[] {
    return this.read(this.decoder.decode(bytes, { stream: true }), false);
  }

  /** The end of the body: a last line ended by a lone \r still counts. */
  end(): ChatCompletionChunk[] {
    return this.read(this.decoder.decode(), true);
  }

  private read(decoded: string, last: boolean): ChatCompletionChunk[] {
    if (this.failure) return [];
    let text = this.pending + decoded;
    if (text.includes('\r')) {
      // A final \r may be the first half of a \r\n split across reads: keep it for the next one.
      const trailing = !last && text.endsWith('\r');
      text = text.slice(0, trailing ? -1 : undefined).replace(/\r\n?/g, '\n') + (trailing ? '\r' : '');
    }
    const chunks: ChatCompletionChunk[] = [];
    let start = 0;
    let end: number;
    try {
      while ((end = text.indexOf('\n', start)) >= 0) {
        this.line(text.slice(start, end), chunks);
        start = end + 1;
      }
    } catch (error) {
      this.failure = error as Error;
    }
    this.pending = text.slice(start);
    return chunks;
  }

  private line(line: string, chunks: ChatCompletionChunk[]): void {
    if (line === '') {
      // An event without data lines (only `event:`, `id:` or comments) is not dispatched.
      if (this.data.length > 0) this.dispatch(chunks);
      return;
    }
    // Only `data` matters to chat completions; `event`, `id`, `retry` and comments are skipped.
    if (!line.startsWith('data')) return;
    if (line.length === 4) this.data.push('');
    else if (line.charCodeAt(4) === 58 /* ':' */) this.data.push(line.slice(line.charCodeAt(5) === 32 ? 6 : 5));
  }

  private dispatch(chunks: ChatCompletionChunk[]): void {
    const data = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
    this.data = [];
    if (this.done) return;
    if (data.startsWith('[DONE]')) {
      this.done = true;
      return;
    }
    const parsed = JSON.parse(data) as ChatCompletionChunk & { error?: unknown };
    if (parsed && parsed.error) throw new OpenAI.APIError(undefined, parsed.error as object, undefined, this.headers as never);
    chunks.push(parsed);
  }
}
