/**
 * Helpers for tests that chat: a server whose default provider is the fake
 * LLM, sending messages over HTTP and following steps over graphql-ws.
 */
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { startFakeLlm, type FakeLlm } from '../fixtures/fake-llm.js';
import { startServer, TEST_SECRET, type Backend, type FreshDatabase, type StartOptions, type TestServer } from './server.js';

export const FAKE_API_KEY = 'sk-test-fake-key-0123456789abcdef';

/** Every field of every Step member, in one selection. */
export const STEP_FIELDS = `
  __typename
  ... on ThinkingStep { id index seq delta content }
  ... on TextStep { id index seq delta content }
  ... on ToolCallStep { id index seq toolCallId name arguments input }
  ... on ToolResultStep { id index seq toolCallId callStepId name content success durationMs }
  ... on DoneStep { id index seq messageId tokenCount iterations finishReason usage { promptTokens completionTokens totalTokens reasoningTokens } }
  ... on ErrorStep { id index seq code message retryable partialMessageId }
`;

export type Step = Record<string, any> & { __typename: string; seq: number; index: number; id: string };

export interface ChatSuite {
  fake: FakeLlm;
  server: TestServer;
  token: string;
}

/**
 * A fake provider, a chat server on `backend` and a user's token for one
 * describe block: started in beforeAll, stopped in afterAll. `take` gets
 * them once started (assign them to the block's variables there).
 */
export function chatSuite(
  backend: Backend,
  user: { sub: string; name: string; level?: number },
  take: (suite: ChatSuite) => void,
  options: { env?: Record<string, string> } = {},
): void {
  let suite: Partial<ChatSuite> = {};
  beforeAll(async () => {
    suite.fake = await startFakeLlm();
    suite.server = await startChatServer(suite.fake, { backend, env: options.env });
    suite.token = await suite.server.token(user.sub, user.level ?? 1, user.name);
    take(suite as ChatSuite);
  });
  afterAll(async () => {
    await suite.server?.stop();
    await suite.fake?.close();
    suite = {};
  });
}

/** The environment of a chat server process on `database` whose default provider is the fake. */
export function chatProcessEnv(fake: FakeLlm, database: FreshDatabase, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOST: '127.0.0.1',
    AUTH_SECRET: TEST_SECRET,
    ...database.env,
    LLM_BASE_URL: fake.url,
    LLM_MODEL: 'fake-model',
    LLM_API_KEY: FAKE_API_KEY,
    DEMO_MODEL: 'false',
    ...extra,
  };
}

export async function startChatServer(fake: FakeLlm, options: StartOptions = {}): Promise<TestServer> {
  return startServer({
    ...options,
    env: {
      LLM_BASE_URL: fake.url,
      LLM_MODEL: 'fake-model',
      LLM_API_KEY: FAKE_API_KEY,
      DEMO_MODEL: 'false',
      LLM_STALL_TIMEOUT_MS: '1500',
      LLM_MAX_RETRIES: '2',
      ...options.env,
    },
  });
}

export interface SendResult {
  runId: string;
  conversationId: string;
  userMessageId: string;
}

export async function send(
  server: TestServer,
  token: string,
  input: Record<string, unknown>,
): Promise<SendResult> {
  const response = await server.gql(
    `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } conversation { id } userMessage { id } clientMutationId } }`,
    { input },
    token,
  );
  if (response.errors) throw new Error(`sendMessage failed: ${JSON.stringify(response.errors)}`);
  const payload = response.data!.sendMessage;
  return { runId: payload.run.id, conversationId: payload.conversation.id, userMessageId: payload.userMessage.id };
}

/** Follows chatSteps to its end over a fresh graphql-ws client; returns every step and any errors. */
export async function follow(
  server: TestServer,
  token: string,
  runId: string,
  after = 0,
  onStep?: (step: Step) => void,
): Promise<{ steps: Step[]; errors: unknown[] }> {
  const client = server.ws(token);
  const steps: Step[] = [];
  const errors: unknown[] = [];
  try {
    for await (const result of client.iterate({
      query: `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`,
      variables: { runId, after },
    })) {
      if (result.errors) errors.push(...result.errors);
      const step = (result.data as { chatSteps?: Step } | null | undefined)?.chatSteps;
      if (step) {
        steps.push(step);
        onStep?.(step);
      }
    }
  } catch (error) {
    // An `error` message (a subscription ended by the server, e.g. SUBSCRIBER_TOO_SLOW) arrives as a thrown list.
    if (!Array.isArray(error)) throw error;
    errors.push(...error);
  } finally {
    await client.dispose();
  }
  return { steps, errors };
}

/**
 * Follows a run on a server process over graphql-ws; once `killAt` holds for
 * what arrived, calls `kill` (once) and reads on until the socket dies with
 * the server. Returns every step seen and whether `kill` was called.
 */
export async function followUntilKilled(
  httpUrl: string,
  token: string,
  runId: string,
  killAt: (seen: Step[]) => boolean,
  kill: () => Promise<void> | void,
): Promise<{ seen: Step[]; killed: boolean }> {
  const seen: Step[] = [];
  let killed = false;
  const client = createClient({
    url: httpUrl.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  try {
    for await (const result of client.iterate({
      query: `subscription($runId: ID!) { chatSteps(runId: $runId) { ${STEP_FIELDS} } }`,
      variables: { runId },
    })) {
      const step = (result.data as { chatSteps?: Step } | null | undefined)?.chatSteps;
      if (step) seen.push(step);
      if (!killed && killAt(seen)) {
        killed = true;
        await kill();
      }
    }
  } catch {
    // The socket dies with the server.
  } finally {
    await client.dispose();
  }
  return { seen, killed };
}

/** Sends a message and follows its run to the end. */
export async function chat(server: TestServer, token: string, input: Record<string, unknown>) {
  const sent = await send(server, token, input);
  const { steps, errors } = await follow(server, token, sent.runId);
  // A run that ends always ends with a step; tests read `last` without checking.
  return { ...sent, steps, errors, last: steps[steps.length - 1]! };
}

export const RUN_FIELDS = `id status iterations lastSeq startedAt finishedAt error { code message }
  usage { promptTokens completionTokens totalTokens reasoningTokens }
  assistantMessage { id text tokenCount steps { ${STEP_FIELDS} } usage { totalTokens } }
  userMessage { id text role }`;

export async function readRun(server: TestServer, token: string, runId: string) {
  const response = await server.gql(`query($id: ID!) { run(id: $id) { ${RUN_FIELDS} } }`, { id: runId }, token);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data!.run;
}

/** The seqs are 1..n with no gap and no repeat. */
export function expectGapless(steps: Step[], from = 1): boolean {
  return steps.every((step, i) => step.seq === from + i);
}
