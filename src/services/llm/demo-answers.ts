/**
 * What the demo model says, decided from the request alone (no randomness,
 * no clock), so a test can predict every answer: a `calculator` call for
 * arithmetic and a `current_time` call for the time when those tools are
 * offered, text that uses their results on the next request, a long Markdown
 * answer (paced to last about 15 s) when asked for one, and thinking only
 * when the request asks for reasoning. How it is streamed is demo-model.ts's.
 */
import { evaluateArithmetic } from '../tools/builtin/arithmetic.js';
import { LONG_ANSWER, LONG_ANSWER_MS } from './demo-long-answer.js';

export interface DemoRequest {
  model?: string;
  messages?: DemoMessage[];
  tools?: { function?: { name?: string } }[];
  stream_options?: { include_usage?: boolean };
  /** Present (and not "none") when thinking is on: the demo row's thinkingParams. */
  reasoning_effort?: unknown;
}

interface DemoMessage {
  role: string;
  content?: unknown;
  tool_call_id?: string;
  tool_calls?: { id?: string; function?: { name?: string; arguments?: string } }[];
}

/** The request fields the demo provider adds when thinking is on. */
export const DEMO_THINKING_PARAMS = { reasoning_effort: 'medium' };

export interface DemoToolCall {
  name: string;
  /** JSON text, as a model writes it. */
  arguments: string;
}

export interface DemoAnswer {
  /** Streamed as reasoning deltas; null when thinking is off. */
  thinking: string | null;
  /** Tool calls to make instead of answering (finish reason "tool_calls"). */
  calls: DemoToolCall[];
  text: string;
  /** The pause between two chunks. */
  delayMs: number;
}

const SHORT_DELAY_MS = 12;
const ASKS_TIME = /\b(time|date|day|today|clock)\b/i;
const ASKS_LONG = /\blong\b/i;
/** A run of characters arithmetic is written with... */
const ARITHMETIC_RUN = /[\d.+\-*/×÷^%()\s]+/g;
/** ...that has an operator between two numbers... */
const HAS_OPERATION = /\d[\s)]*[-+*/×÷^%][\s(-]*\d/;
/** ...and is no date. */
const ISO_DATE = /\d{4}-\d{2}-\d{2}/;

/** The text of a message's content: a string, or the text parts of a list. */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content.map((part: { type?: string; text?: unknown }) => (part?.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('');
}

/** The first arithmetic expression in `text` that evaluates, normalised for the calculator. */
export function findArithmetic(text: string): { expression: string; value: number } | null {
  for (const [run] of text.matchAll(ARITHMETIC_RUN)) {
    if (!HAS_OPERATION.test(run) || ISO_DATE.test(run)) continue;
    const expression = run.trim().replace(/×/g, '*').replace(/÷/g, '/');
    try {
      return { expression, value: evaluateArithmetic(expression) };
    } catch {
      // Not arithmetic after all (unbalanced parentheses, a date): look on.
    }
  }
  return null;
}

interface ToolResult {
  name: string;
  content: string;
}

/** The tool results the model was sent after the last user message, named by the calls they answer. */
function resultsSince(messages: DemoMessage[], userIndex: number): { called: boolean; results: ToolResult[] } {
  const names = new Map<string, string>();
  const results: ToolResult[] = [];
  let called = false;
  for (const message of messages.slice(userIndex + 1)) {
    for (const call of message.tool_calls ?? []) {
      called = true;
      if (call.id) names.set(call.id, call.function?.name ?? '');
    }
    if (message.role === 'tool') results.push({ name: names.get(message.tool_call_id ?? '') ?? '', content: textOf(message.content) });
  }
  return { called, results };
}

/** A sentence that uses one tool result. */
function useResult({ name, content }: ToolResult): string {
  let parsed: { expression?: unknown; result?: unknown; iso?: unknown } = {};
  try {
    parsed = JSON.parse(content) as typeof parsed;
  } catch {
    // A failed call's content is an error message, not JSON.
  }
  if (name === 'calculator' && typeof parsed.result === 'number') return `${String(parsed.expression)} = ${parsed.result}.`;
  if (name === 'current_time' && typeof parsed.iso === 'string') return `The current_time tool says it is ${parsed.iso}.`;
  return `The ${name || 'tool'} call did not work out: ${content}`;
}

const quote = (text: string) => (text.length > 60 ? `${text.slice(0, 57)}...` : text);

/** The canned answer to a message that asks for nothing the demo can do. */
function introduction(userText: string): string {
  return (
    `Hello! I am the built-in demo model of chat-run-server, so my answers are canned. You said: "${quote(userText)}". ` +
    `Try "What is 6*7?" with the calculator tool on, "What time is it?" with current_time, switch thinking on, ` +
    `or ask for a long answer to try Stop and a reload while it streams. ` +
    `Set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL (or create a provider) to talk to a real model.`
  );
}

/** The demo's answer to `body`. */
export function demoAnswer(body: DemoRequest): DemoAnswer {
  const messages = body.messages ?? [];
  const userIndex = messages.findLastIndex((m) => m.role === 'user');
  const userText = textOf(messages[userIndex]?.content);
  const offered = new Set((body.tools ?? []).map((t) => t.function?.name));
  const thinkingOn = body.reasoning_effort != null && body.reasoning_effort !== 'none';
  const think = (thought: string) => (thinkingOn ? `The user wrote "${quote(userText)}". ${thought}` : null);
  const answer = (thought: string, text: string, delayMs = SHORT_DELAY_MS): DemoAnswer => ({ thinking: think(thought), calls: [], text, delayMs });

  const { called, results } = resultsSince(messages, userIndex);
  if (called) return answer('The tools answered, so I can put their results into a short reply.', results.map(useResult).join(' '));

  const arithmetic = findArithmetic(userText);
  const asksTime = ASKS_TIME.test(userText);
  const calls: DemoToolCall[] = [];
  if (arithmetic && offered.has('calculator')) calls.push({ name: 'calculator', arguments: JSON.stringify({ expression: arithmetic.expression }) });
  if (asksTime && offered.has('current_time')) calls.push({ name: 'current_time', arguments: JSON.stringify({ timeZone: 'UTC' }) });
  if (calls.length > 0) {
    const names = calls.map((c) => c.name).join(' and ');
    return { ...answer(`The ${names} tool${calls.length > 1 ? 's are' : ' is'} enabled, so I will call ${calls.length > 1 ? 'them' : 'it'} first.`, ''), calls };
  }
  if (arithmetic) {
    return answer(
      'That is arithmetic and the calculator tool is off, so I will work it out myself.',
      `${arithmetic.expression} = ${arithmetic.value}. Turn on the calculator tool to see me call it instead.`,
    );
  }
  if (asksTime) return answer('I have no clock of my own and the current_time tool is off.', 'I cannot see a clock: turn on the current_time tool and ask again.');
  if (ASKS_LONG.test(userText)) {
    const chunks = LONG_ANSWER.match(/\S+\s*/g)?.length ?? 1;
    return answer('A long answer was asked for, so I will stream one slowly enough to stop it midway.', LONG_ANSWER, Math.round(LONG_ANSWER_MS / chunks));
  }
  return answer('I will answer briefly and explain that I am the demo model.', introduction(userText));
}
