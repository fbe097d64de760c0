/**
 * Assertions and small tools shared by the run tests: how a failed run must
 * look from every side (its ErrorStep, its row, its stored partial answer),
 * GraphQL snippets for the conversation's messages, and test-only tools
 * registered on a live server's ToolRegistry.
 */
import { expect } from 'vitest';
import { z } from 'zod';
import { defineTool, type ToolContext } from '../../src/services/tools/tool.js';
import { chat, readRun, type Step } from './chat.js';
import type { FakeLlm } from '../fixtures/fake-llm.js';
import { text as textTurn } from '../fixtures/fake-llm.js';
import type { TestServer } from './server.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const RETRYABLE: Record<string, boolean> = {
  PROVIDER_ERROR: true,
  RATE_LIMITED: true,
  TIMEOUT: true,
  INTERRUPTED: true,
  AUTHENTICATION: false,
  CONTEXT_LENGTH: false,
  MAX_ITERATIONS: false,
  CANCELLED: false,
  INTERNAL: false,
};

/**
 * A run that ended in `code`: the stream's last step is the ErrorStep (and
 * the only one), the row says so, and the partial answer is stored (or, when
 * `partialText` is null, the run produced nothing and no message is kept).
 */
export async function expectRunFailed(
  server: TestServer,
  token: string,
  result: { runId: string; steps: Step[]; errors: unknown[] },
  code: string,
  partialText: string | null,
) {
  expect(result.errors).toEqual([]);
  const last = result.steps.at(-1)!;
  expect(last).toMatchObject({ __typename: 'ErrorStep', code, retryable: RETRYABLE[code] });
  expect(result.steps.filter((s) => s.__typename === 'ErrorStep' || s.__typename === 'DoneStep')).toHaveLength(1);
  expect(last.message.length).toBeGreaterThan(0);
  const run = await readRun(server, token, result.runId);
  expect(run.status).toBe(code === 'CANCELLED' ? 'CANCELLED' : code === 'INTERRUPTED' ? 'INTERRUPTED' : 'FAILED');
  expect(run.error).toEqual({ code, message: last.message });
  expect(run.finishedAt).not.toBeNull();
  expect(run.lastSeq).toBe(last.seq);
  if (partialText === null) {
    expect(last.partialMessageId).toBeNull();
    expect(run.assistantMessage).toBeNull();
  } else {
    expect(last.partialMessageId).toBe(run.assistantMessage.id);
    expect(run.assistantMessage.text).toBe(partialText);
    // What subscribers saw: each text step's deltas, the steps joined like Message.text.
    const byStep = new Map<string, string>();
    for (const s of result.steps) if (s.__typename === 'TextStep') byStep.set(s.id, (byStep.get(s.id) ?? '') + s.delta);
    expect([...byStep.values()].filter((t) => t.length > 0).join('\n\n')).toBe(partialText);
  }
  return { run, last };
}

/** The conversation's messages, oldest first, as [role, text]. */
export async function messagesOf(server: TestServer, token: string, conversationId: string): Promise<[string, string][]> {
  const response = await server.gql(
    `query($id: ID!) { conversation(id: $id) { messages(first: 100) { edges { node { id role text } } } } }`,
    { id: conversationId },
    token,
  );
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.conversation.messages.edges.map((e: any) => [e.node.role, e.node.text]);
}

/** The conversation takes another message and answers it. */
export async function expectStillServing(server: TestServer, fake: FakeLlm, token: string, conversationId: string) {
  fake.enqueue(textTurn('Still here.'));
  const next = await chat(server, token, { conversationId, text: 'are you there?' });
  expect(next.last).toMatchObject({ __typename: 'DoneStep' });
  expect((await readRun(server, token, next.runId)).status).toBe('COMPLETED');
}

/** Waits `ms` or until the signal aborts (a well-behaved slow tool). */
export function sleepOrAbort(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      reject(signal.reason);
    }, { once: true });
  });
}

export interface SleepRecord {
  label: string;
  start: number;
  end?: number;
  aborted?: boolean;
}

/**
 * Registers test-only tools on a running server: `sleepy` (sleeps `ms`,
 * records when it started and ended), `whoami` (returns the context it
 * received), `big_output` (a long string), `admin_only` (level 10),
 * `never_returns` (times out after 200 ms).
 */
export function registerTestTools(server: TestServer) {
  const sleeps: SleepRecord[] = [];
  const contexts: Omit<ToolContext, 'signal'>[] = [];
  const registry = server.app.services.tools;
  registry.register(
    defineTool({
      name: 'sleepy',
      description: 'Sleeps for a while.',
      parameters: z.object({ label: z.string(), ms: z.number().int().min(0).max(60_000) }).strict(),
      minPermissionLevel: 1,
      timeoutMs: 30_000,
      source: 'builtin',
      execute: async ({ label, ms }, context) => {
        const record: SleepRecord = { label, start: Date.now() };
        sleeps.push(record);
        try {
          await sleepOrAbort(ms, context.signal);
        } catch (error) {
          record.aborted = true;
          throw error;
        } finally {
          record.end = Date.now();
        }
        return `slept ${ms} ms (${label})`;
      },
    }),
  );
  registry.register(
    defineTool({
      name: 'whoami',
      description: 'Tells who is calling.',
      parameters: z.object({}).strict(),
      minPermissionLevel: 1,
      timeoutMs: 1_000,
      source: 'builtin',
      execute: (_args, context) => {
        const { signal: _signal, ...rest } = context;
        contexts.push(rest);
        return rest;
      },
    }),
  );
  registry.register(
    defineTool({
      name: 'big_output',
      description: 'Returns a very long text.',
      parameters: z.object({}).strict(),
      minPermissionLevel: 1,
      timeoutMs: 1_000,
      source: 'builtin',
      execute: () => 'x'.repeat(50_000),
    }),
  );
  registry.register(
    defineTool({
      name: 'admin_only',
      description: 'Only for admins.',
      parameters: z.object({}).strict(),
      minPermissionLevel: 10,
      timeoutMs: 1_000,
      source: 'builtin',
      execute: () => 'secret admin things',
    }),
  );
  registry.register(
    defineTool({
      name: 'never_returns',
      description: 'Hangs past its timeout.',
      parameters: z.object({}).strict(),
      minPermissionLevel: 1,
      timeoutMs: 200,
      source: 'builtin',
      execute: () => new Promise(() => {}),
    }),
  );
  return { sleeps, contexts };
}
