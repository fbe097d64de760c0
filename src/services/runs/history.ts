/**
 * What the model is sent: the system prompt, then every earlier turn as it
 * really happened (user text; each assistant iteration with its tool calls;
 * each tool result with its tool_call_id; the final text), then the new
 * user message. A tool call that never got a result (cancelled or
 * interrupted mid-tool) gets a result saying so, or providers refuse the
 * whole history. Thinking is not sent back.
 */
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Message, StoredStep } from '../../entities/index.js';

type ToolCallStep = Extract<StoredStep, { type: 'tool_call' }>;
type ToolResultStep = Extract<StoredStep, { type: 'tool_result' }>;

export const MISSING_RESULT = 'The tool call did not complete: the run was stopped before it returned a result.';

/** A tool call as the model made it. */
interface CallMade {
  id: string;
  name: string;
  arguments: string;
}

/**
 * One iteration that called tools, as chat messages: the assistant's text
 * and calls, then one tool message per call, in the calls' order. The loop
 * builds it live and the history rebuilds it from stored steps.
 */
export function toolRound(text: string, calls: CallMade[], resultOf: (call: CallMade, i: number) => string): ChatCompletionMessageParam[] {
  return [
    {
      role: 'assistant',
      content: text.length > 0 ? text : null,
      tool_calls: calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
    },
    ...calls.map((call, i): ChatCompletionMessageParam => ({ role: 'tool', tool_call_id: call.id, content: resultOf(call, i) })),
  ];
}

/** The assistant turn of one run, as chat messages. */
export function assistantTurn(steps: StoredStep[]): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  let text = '';
  let calls: ToolCallStep[] = [];
  const results = new Map<string, ToolResultStep>();
  let previous: StoredStep['type'] | undefined;

  const flushCalls = () => {
    const made = calls.map((call) => ({ id: call.toolCallId, name: call.name, arguments: call.arguments }));
    out.push(...toolRound(text, made, (call) => results.get(call.id)?.content ?? MISSING_RESULT));
    text = '';
    calls = [];
    results.clear();
  };

  for (const step of [...steps].sort((a, b) => a.index - b.index)) {
    switch (step.type) {
      case 'text':
        if (calls.length > 0) flushCalls();
        text += step.content;
        break;
      case 'thinking':
        if (calls.length > 0) flushCalls();
        break;
      case 'tool_call':
        // A call after results starts the next iteration.
        if (previous === 'tool_result' && calls.length > 0) flushCalls();
        calls.push(step);
        break;
      case 'tool_result':
        results.set(step.toolCallId, step);
        break;
    }
    previous = step.type;
  }
  if (calls.length > 0) flushCalls();
  if (text.length > 0) out.push({ role: 'assistant', content: text });
  return out;
}

/** The full prompt for a new run. `earlier` are the conversation's messages before the new one, oldest first. */
export function buildHistory(
  systemPrompt: string | null,
  earlier: Pick<Message, 'role' | 'text' | 'steps'>[],
  userText: string,
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [];
  if (systemPrompt) messages.push({ role: 'system', content: systemPrompt });
  for (const message of earlier) {
    if (message.role === 'user') messages.push({ role: 'user', content: message.text });
    else messages.push(...assistantTurn(message.steps));
  }
  messages.push({ role: 'user', content: userText });
  return messages;
}
