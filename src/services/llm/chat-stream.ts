/**
 * Streams one chat completion through the `openai` SDK and turns its chunks
 * into a small typed event stream: thinking and text deltas as they arrive,
 * then the tool calls (fragments accumulated by index), the finish reason
 * and the usage. Knows nothing of runs, GraphQL or storage.
 */
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { StallError } from './llm-errors.js';
import { SseChunkParser } from './sse-chunks.js';
import { tokenCount } from '../storable.js';

export interface ToolCallRequest {
  /** The provider's id (generated when the provider sent none). */
  id: string;
  name: string;
  /** Raw JSON text as the model produced it (may be invalid). */
  arguments: string;
}

export interface CompletionUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens: number | null;
}

export type ChatStreamEvent =
  | { type: 'thinking'; delta: string }
  | { type: 'text'; delta: string }
  | { type: 'end'; toolCalls: ToolCallRequest[]; finishReason: string; usage: CompletionUsage | null };

export interface ChatRequest {
  model: string;
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  temperature?: number | null;
  maxTokens?: number | null;
  /** Provider-specific fields added when thinking is on (Provider.thinkingParams). */
  extraBody?: Record<string, unknown> | null;
}

/** Adds a delta to a batch of events, extending the last one when it is of the same kind. */
function appendDelta(events: ChatStreamEvent[], type: 'thinking' | 'text', delta: string): void {
  const last = events[events.length - 1];
  if (last && last.type === type) last.delta += delta;
  else events.push({ type, delta });
}

interface DeltaWithReasoning {
  content?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ChatCompletionChunk.Choice.Delta.ToolCall[];
}

/** The streaming request body: the provider's thinking fields first, so ours win. */
function requestBody(request: ChatRequest): ChatCompletionCreateParamsStreaming {
  return {
    ...(request.extraBody ?? {}),
    model: request.model,
    messages: request.messages,
    stream: true,
    stream_options: { include_usage: true },
    ...(request.tools.length > 0 ? { tools: request.tools } : {}),
    ...(request.temperature != null ? { temperature: request.temperature } : {}),
    ...(request.maxTokens != null ? { max_tokens: request.maxTokens } : {}),
  };
}

/**
 * Reads completion chunks: thinking and text deltas out as events, tool
 * call fragments accumulated by index, the last finish reason and usage.
 */
export class ChunkReader {
  private readonly calls = new Map<number, ToolCallRequest>();
  private finishReason = 'stop';
  private usage: CompletionUsage | null = null;

  /** The events of `chunks` (the deltas of one network read: consecutive ones of a kind as one event). */
  read(chunks: ChatCompletionChunk[]): ChatStreamEvent[] {
    const events: ChatStreamEvent[] = [];
    for (const chunk of chunks) this.readChunk(chunk, events);
    return events;
  }

  /** The end event, once the stream is complete. */
  end(): Extract<ChatStreamEvent, { type: 'end' }> {
    const toolCalls = [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, call]) => ({ ...call, id: call.id || `call_${index}_${Math.random().toString(36).slice(2, 10)}` }));
    return { type: 'end', toolCalls, finishReason: this.finishReason, usage: this.usage };
  }

  private readChunk(chunk: ChatCompletionChunk, out: ChatStreamEvent[]): void {
    if (chunk.usage) {
      const details = chunk.usage.completion_tokens_details;
      // A provider may report anything here: whole, non-negative counts only.
      this.usage = {
        promptTokens: tokenCount(chunk.usage.prompt_tokens),
        completionTokens: tokenCount(chunk.usage.completion_tokens),
        totalTokens: tokenCount(chunk.usage.total_tokens),
        reasoningTokens: details?.reasoning_tokens == null ? null : tokenCount(details.reasoning_tokens),
      };
    }
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = (choice.delta ?? {}) as DeltaWithReasoning;
      const reasoning = stringOf(delta.reasoning_content) || stringOf(delta.reasoning);
      if (reasoning) appendDelta(out, 'thinking', reasoning);
      const content = stringOf(delta.content);
      if (content) appendDelta(out, 'text', content);
      for (const fragment of delta.tool_calls ?? []) this.addFragment(fragment);
      if (choice.finish_reason) this.finishReason = stringOf(choice.finish_reason) || this.finishReason;
    }
  }

  private addFragment(fragment: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    const index = fragment.index ?? 0;
    let call = this.calls.get(index);
    if (!call) {
      call = { id: '', name: '', arguments: '' };
      this.calls.set(index, call);
    }
    if (fragment.id) call.id = stringOf(fragment.id);
    call.name += stringOf(fragment.function?.name);
    call.arguments += stringOf(fragment.function?.arguments);
  }
}

/**
 * Aborts `controller` with StallError when no chunk came for `ms`: one
 * timer checks the time of the last chunk, rather than a timer re-armed per
 * chunk (per token).
 */
function stallWatch(controller: AbortController, ms: number) {
  let lastChunkAt = performance.now();
  let stalled = false;
  const timer = setInterval(
    () => {
      if (performance.now() - lastChunkAt < ms) return;
      stalled = true;
      controller.abort(new StallError(ms));
    },
    Math.max(10, Math.floor(ms / 10)),
  );
  return {
    chunk: () => (lastChunkAt = performance.now()),
    get stalled() {
      return stalled;
    },
    stop: () => clearInterval(timer),
  };
}

/**
 * Yields the completion's events. `stallTimeoutMs` bounds the silence
 * between chunks once the response has started (the SDK's timeout covers
 * the wait for headers); a stall aborts the request and throws StallError.
 * The caller's `signal` aborts everything (cancel).
 */
export async function* streamChat(
  client: OpenAI,
  request: ChatRequest,
  options: { signal: AbortSignal; stallTimeoutMs: number; onFirstChunk?: (ms: number) => void },
): AsyncGenerator<ChatStreamEvent> {
  const started = performance.now();
  let first = true;
  const controller = new AbortController();
  const onAbort = () => controller.abort(options.signal.reason);
  options.signal.addEventListener('abort', onAbort, { once: true });
  let stall: ReturnType<typeof stallWatch> | undefined;
  const reader = new ChunkReader();
  try {
    // The request goes through the SDK (retries, error classes); its body is read here (see sse-chunks.ts).
    const response = await client.chat.completions.create(requestBody(request), { signal: controller.signal }).asResponse();
    if (!response.body) throw new OpenAI.APIConnectionError({ message: 'The provider answered without a body.' });
    const parser = new SseChunkParser(response.headers);
    stall = stallWatch(controller, options.stallTimeoutMs);
    for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
      stall.chunk();
      if (first) {
        first = false;
        options.onFirstChunk?.(performance.now() - started);
      }
      yield* reader.read(parser.push(bytes));
      if (parser.failure) throw parser.failure;
      // The answer is complete: a provider (or proxy) that holds the connection open must not stall it.
      if (parser.done) break;
    }
    yield* reader.read(parser.end());
    if (parser.failure) throw parser.failure;
    if (controller.signal.aborted) throw controller.signal.reason;
  } catch (error) {
    if (stall?.stalled) throw new StallError(options.stallTimeoutMs);
    // A cancel surfaces as its own reason, not as whatever the aborted read threw.
    if (controller.signal.aborted) throw controller.signal.reason;
    throw error;
  } finally {
    stall?.stop();
    options.signal.removeEventListener('abort', onAbort);
  }
  yield reader.end();
}

/** A field the wire format says is a string; anything else a provider sends there counts as absent. */
function stringOf(value: unknown): string {
  return typeof value === 'string' ? value : '';
}
