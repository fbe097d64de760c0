/**
 * The agent loop: stream a completion, record its thinking and text as
 * deltas, record one tool call step per call, execute the calls in
 * parallel, record each result as it finishes, feed the results back with
 * their tool_call_id, and repeat until the model answers without tools or
 * the iteration cap is reached. Knows neither GraphQL nor storage: it takes
 * history, a chat function and a tool runner, and writes to a RunSink.
 */
import type { ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { RunErrorCode, StoredUsage, ToolCallFields, ToolResultFields } from '../../entities/index.js';
import type { ChatRequest, ChatStreamEvent, CompletionUsage, ToolCallRequest } from '../llm/chat-stream.js';
import { toRunFailure } from '../llm/llm-errors.js';
import type { ToolResult } from '../tools/tool-executor.js';
import { MISSING_RESULT, toolRound } from './history.js';
import type { RunEnding } from './run-ending.js';
import { EMPTY_USAGE } from './step-view.js';

/** Where the loop records what happens; synchronous, no I/O. */
export interface RunSink {
  thinkingDelta(delta: string): void;
  textDelta(delta: string): void;
  closeStep(): void;
  /** Returns the tool call step's id. */
  toolCall(call: ToolCallFields): string;
  toolResult(result: ToolResultFields): void;
}

export interface AgentLoopInput {
  /** System prompt, history and the new user message. */
  messages: ChatCompletionMessageParam[];
  tools: ChatCompletionTool[];
  request: Omit<ChatRequest, 'messages' | 'tools'>;
  chat(request: ChatRequest, signal: AbortSignal): AsyncIterable<ChatStreamEvent>;
  /** What a failure's message must not contain: the provider's key and URL credentials. */
  secrets?: readonly string[];
  runTools(calls: ToolCallRequest[], signal: AbortSignal, onResult: (result: ToolResult) => void): Promise<ToolResult[]>;
  sink: RunSink;
  signal: AbortSignal;
  maxIterations: number;
  /** Called before each LLM call with its 1-based number and the usage of the calls before it. */
  onIteration?: (iteration: number, usageSoFar: StoredUsage) => void;
}

function addUsage(total: StoredUsage, usage: CompletionUsage | null): StoredUsage {
  if (!usage) return total;
  return {
    promptTokens: total.promptTokens + usage.promptTokens,
    completionTokens: total.completionTokens + usage.completionTokens,
    totalTokens: total.totalTokens + usage.totalTokens,
    reasoningTokens:
      usage.reasoningTokens === null && total.reasoningTokens === null
        ? null
        : (total.reasoningTokens ?? 0) + (usage.reasoningTokens ?? 0),
  };
}

const ending = (code: RunErrorCode, message: string, usage: StoredUsage, iterations: number): RunEnding => ({
  kind: 'error',
  code,
  message,
  usage,
  iterations,
});

/** Runs the loop to its end; never throws for provider or tool failures (they become the ending). */
export async function runAgentLoop(input: AgentLoopInput): Promise<RunEnding> {
  const messages = [...input.messages];
  let usage: StoredUsage = EMPTY_USAGE;
  const cancelled = (iterations: number) => ending('CANCELLED', 'The run was cancelled.', usage, iterations);

  for (let iteration = 1; iteration <= input.maxIterations; iteration++) {
    if (input.signal.aborted) return cancelled(iteration - 1);
    input.onIteration?.(iteration, usage);
    input.sink.closeStep();
    let text = '';
    let end: Extract<ChatStreamEvent, { type: 'end' }> | undefined;
    try {
      for await (const event of input.chat({ ...input.request, messages, tools: input.tools }, input.signal)) {
        if (event.type === 'thinking') input.sink.thinkingDelta(event.delta);
        else if (event.type === 'text') {
          text += event.delta;
          input.sink.textDelta(event.delta);
        } else end = event;
      }
    } catch (error) {
      if (input.signal.aborted) return cancelled(iteration);
      const failure = toRunFailure(error, input.secrets);
      return ending(failure.code, failure.message, usage, iteration);
    }
    if (!end) return ending('PROVIDER_ERROR', 'The provider stream ended without finishing.', usage, iteration);
    usage = addUsage(usage, end.usage);
    if (input.signal.aborted) return cancelled(iteration);
    if (end.toolCalls.length === 0) {
      return { kind: 'done', finishReason: end.finishReason, usage, iterations: iteration };
    }

    // One ToolCall step per call, once the provider's stream has ended (arguments complete).
    const callSteps = new Map<string, string>();
    for (const call of end.toolCalls) {
      callSteps.set(call.id, input.sink.toolCall({ toolCallId: call.id, name: call.name, arguments: call.arguments }));
    }
    const results = await input.runTools(end.toolCalls, input.signal, (result) => {
      // After a cancel the run's stream has ended: late results are not recorded.
      if (input.signal.aborted) return;
      const callStepId = callSteps.get(result.toolCallId);
      if (callStepId) input.sink.toolResult({ ...result, callStepId });
    });
    if (input.signal.aborted) return cancelled(iteration);

    // executeAll answers in the calls' order.
    messages.push(...toolRound(text, end.toolCalls, (_call, i) => results[i]?.content ?? MISSING_RESULT));
    if (iteration === input.maxIterations) {
      return ending(
        'MAX_ITERATIONS',
        `The model was still calling tools after ${input.maxIterations} rounds; the run stopped there.`,
        usage,
        iteration,
      );
    }
  }
  return ending('MAX_ITERATIONS', 'The run reached its iteration limit.', usage, input.maxIterations);
}
