/** Abuse limits: on by default, configurable, each with its own error code. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { follow, readRun, send, startChatServer } from './helpers/chat.js';
import { openAcked } from './helpers/raw-ws.js';
import { codeOf, describeEachBackend, type TestServer } from './helpers/server.js';

const SEND = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id status } } }`;

describeEachBackend('abuse limits', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, {
      backend,
      env: {
        MAX_QUERY_DEPTH: '8',
        MAX_QUERY_ALIASES: '3',
        MAX_QUERY_TOKENS: '400',
        MAX_MESSAGE_CHARS: '50',
        MAX_ACTIVE_RUNS_PER_USER: '2',
        SEND_RATE_PER_MINUTE: '4',
        MAX_RUNS_IN_FLIGHT: '1',
        WS_INIT_TIMEOUT_MS: '300',
        MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
      },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('refuses documents that are too deep, too aliased or too long with QUERY_TOO_COMPLEX', async () => {
    const token = await server.token('armor');
    const deep = await server.gql(
      '{ conversations { edges { node { messages { edges { node { conversation { messages { edges { node { id } } } } } } } } } } }',
      {},
      token,
    );
    expect(codeOf(deep)).toBe('QUERY_TOO_COMPLEX');
    const aliased = await server.gql('{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }', {}, token);
    expect(codeOf(aliased)).toBe('QUERY_TOO_COMPLEX');
    const long = await server.gql(`{ ${Array.from({ length: 500 }, () => "__typename").join(' ')} }`, {}, token);
    expect(codeOf(long)).toBe('QUERY_TOO_COMPLEX');
    // Introspection is not limited (GraphiQL and codegen need it), and normal queries pass.
    const introspection = await server.gql('{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name } } } } } } } }', {}, token);
    expect(introspection.errors).toBeUndefined();
    expect((await server.gql('{ viewer { id } }', {}, token)).errors).toBeUndefined();
  });

  it('applies the same document limits over WebSocket', async () => {
    const token = await server.token('armor-ws');
    const socket = await openAcked(server.wsUrl, token);
    socket.send({ id: 'q', type: 'subscribe', payload: { query: '{ a: viewer { id } b: viewer { id } c: viewer { id } d: viewer { id } }' } });
    const error = await socket.waitFor((m) => m.id === 'q' && m.type === 'error');
    expect(error.payload[0].extensions.code).toBe('QUERY_TOO_COMPLEX');
    socket.ws.close();
  });

  it('refuses a message over MAX_MESSAGE_CHARS with BAD_USER_INPUT', async () => {
    const token = await server.token('wordy');
    const response = await server.gql(SEND, { input: { text: 'x'.repeat(51) } }, token);
    expect(codeOf(response)).toBe('BAD_USER_INPUT');
    expect(response.errors![0]!.message).toMatch(/text: must be at most 50 characters/);
  });

  it('limits the sends per minute with RATE_LIMITED and a retry-after hint', async () => {
    const token = await server.token('chatty');
    for (let i = 0; i < 4; i++) {
      fake.enqueue(text('ok'));
      const { runId } = await send(server, token, { text: `message ${i}` });
      await follow(server, token, runId);
    }
    const refused = await server.gql(SEND, { input: { text: 'one more' } }, token);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    const retryAfterMs = refused.errors![0]!.extensions!.retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    // Another user is not affected.
    fake.enqueue(text('ok'));
    const other = await send(server, await server.token('quiet'), { text: 'hello' });
    await follow(server, await server.token('quiet'), other.runId);
  });

  it('limits active runs per user and runs in flight; extra runs wait QUEUED, then run', async () => {
    const token = await server.token('busy-bee');
    fake.enqueue(text('first answer streams slowly', { delayMs: 150 }), text('second answer'));
    const first = await send(server, token, { text: 'one' });
    const second = await send(server, token, { text: 'two' });
    // MAX_RUNS_IN_FLIGHT=1: the second run waits its turn.
    expect((await readRun(server, token, second.runId)).status).toBe('QUEUED');
    const third = await server.gql(SEND, { input: { text: 'three' } }, token);
    expect(codeOf(third)).toBe('RATE_LIMITED');
    expect(third.errors![0]!.extensions!.retryAfterMs).toBeGreaterThan(0);
    const [a, b] = await Promise.all([follow(server, token, first.runId), follow(server, token, second.runId)]);
    expect(a.steps.at(-1)!.__typename).toBe('DoneStep');
    expect(b.steps.at(-1)!.__typename).toBe('DoneStep');
  });

  it('cancels a QUEUED run at once', async () => {
    const token = await server.token('queue-cancel');
    fake.enqueue(text('slow slow slow slow', { delayMs: 200 }));
    const running = await send(server, token, { text: 'occupies the slot' });
    const waiting = await send(server, token, { text: 'waits' });
    const cancelled = await server.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: waiting.runId }, token);
    expect(cancelled).toEqual({ data: { cancelRun: { status: 'CANCELLED' } } });
    const { steps } = await follow(server, token, waiting.runId);
    expect(steps).toEqual([expect.objectContaining({ __typename: 'ErrorStep', code: 'CANCELLED', seq: 1, partialMessageId: null })]);
    await follow(server, token, running.runId);
  });

  it('closes a WebSocket that sends no connection_init in time (4408)', async () => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    const code = await new Promise<number>((resolve) => socket.once('close', (c) => resolve(c)));
    expect(code).toBe(4408);
  });

  it('caps the operations open on one connection with TOO_MANY_SUBSCRIPTIONS', async () => {
    const token = await server.token('many-subs');
    fake.enqueue(text('a long slow answer for the subscribers', { delayMs: 100 }));
    const { runId } = await send(server, token, { text: 'watch me' });
    const socket = await openAcked(server.wsUrl, token);
    const subscribe = (id: string) =>
      socket.send({ id, type: 'subscribe', payload: { query: 'subscription($r: ID!) { chatSteps(runId: $r) { __typename } }', variables: { r: runId } } });
    subscribe('s1');
    subscribe('s2');
    subscribe('s3');
    const refused = await socket.waitFor((m) => m.id === 's3' && m.type === 'error');
    expect(refused.payload[0].extensions.code).toBe('TOO_MANY_SUBSCRIPTIONS');
    expect(await socket.waitFor((m) => m.id === 's1' && m.type === 'next')).toBeDefined();
    socket.ws.close();
    await follow(server, token, runId);
  });
});
