/**
 * The graphql-transport-ws protocol's edges, spoken by hand over a raw
 * WebSocket: refused auth (4403), no connection_init in time (4408),
 * ping/pong, a duplicate operation id (4409), and a client `complete` that
 * really stops the server's work for that subscriber.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { readRun, send, startChatServer } from './helpers/chat.js';
import type { TestServer } from './helpers/server.js';

const STEPS = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { __typename ... on TextStep { seq delta } ... on DoneStep { seq } } }`;

interface RawSocket {
  socket: WebSocket;
  messages: any[];
  send(message: unknown): void;
  /** The next message (optionally of a type), waiting for it. */
  next(type?: string, ms?: number): Promise<any>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(url: string): Promise<RawSocket> {
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const messages: any[] = [];
  let read = 0;
  const waiters: (() => void)[] = [];
  socket.on('message', (data) => {
    messages.push(JSON.parse(String(data)));
    for (const wake of waiters.splice(0)) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.on('close', (code, reason) => {
      resolve({ code, reason: String(reason) });
      for (const wake of waiters.splice(0)) wake();
    }),
  );
  const raw: RawSocket = {
    socket,
    messages,
    closed,
    send: (message) => socket.send(JSON.stringify(message)),
    async next(type, ms = 5_000) {
      const deadline = Date.now() + ms;
      for (;;) {
        while (read < messages.length) {
          const message = messages[read++];
          if (!type || message.type === type) return message;
        }
        if (socket.readyState === WebSocket.CLOSED) throw new Error(`socket closed waiting for ${type ?? 'a message'}`);
        if (Date.now() > deadline) throw new Error(`no ${type ?? 'message'} in ${ms} ms`);
        // Woken by the next message or the close; the timer only bounds the wait by the deadline.
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, Math.max(0, deadline - Date.now()) + 1);
        });
      }
    },
  };
  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(raw));
    socket.once('error', reject);
  });
}

describe('graphql-ws protocol edges', () => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;

  async function connected(): Promise<RawSocket> {
    const raw = await open(server.wsUrl);
    raw.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    await raw.next('connection_ack');
    return raw;
  }

  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { env: { WS_INIT_TIMEOUT_MS: '300' } });
    token = await server.token('ws-edges', 1, 'Edges');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('closes a refused connection_init with 4403', async () => {
    const raw = await open(server.wsUrl);
    raw.send({ type: 'connection_init', payload: { authorization: 'Bearer not-a-jwt' } });
    expect((await raw.closed).code).toBe(4403);
    const none = await open(server.wsUrl);
    none.send({ type: 'connection_init', payload: {} });
    expect((await none.closed).code).toBe(4403);
  });

  it('closes a socket that sends no connection_init in time with 4408', async () => {
    const raw = await open(server.wsUrl);
    const started = Date.now();
    const closed = await raw.closed;
    expect(closed.code).toBe(4408);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('answers ping with pong (and echoes its payload)', async () => {
    const raw = await connected();
    raw.send({ type: 'ping', payload: { n: 1 } });
    expect(await raw.next('pong')).toEqual({ type: 'pong', payload: { n: 1 } });
    raw.socket.close(1000);
  });

  it('closes with 4409 when an operation id is already in use', async () => {
    fake.enqueue(text('one two three four five six seven eight nine ten', { delayMs: 50 }));
    const { runId } = await send(server, token, { text: 'slow for duplicate ids' });
    const raw = await connected();
    raw.send({ id: 'op-1', type: 'subscribe', payload: { query: STEPS, variables: { runId } } });
    await raw.next('next');
    raw.send({ id: 'op-1', type: 'subscribe', payload: { query: STEPS, variables: { runId } } });
    const closed = await raw.closed;
    expect(closed.code).toBe(4409);
    expect(closed.reason).toContain('op-1');
  });

  it('stops the server-side work for a subscriber on complete', async () => {
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 10_000 }).toBe(0);
    const baseline = server.app.services.bus.listenerCount;
    fake.enqueue(text('a b c d e f g h i j k l m n o p q r s t u v w x y z', { delayMs: 40 }));
    const { runId } = await send(server, token, { text: 'slow for complete' });
    const raw = await connected();
    raw.send({ id: 'live', type: 'subscribe', payload: { query: STEPS, variables: { runId } } });
    const first = await raw.next('next');
    expect(first.id).toBe('live');
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 10_000 }).toBeGreaterThan(baseline);

    raw.send({ id: 'live', type: 'complete' });
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 5_000 }).toBe(baseline);
    // The server answers a ping after what it sent before: once the pong is here, so is anything
    // sent before the listener went. The connection itself is fine.
    const roundTrip = async () => {
      raw.send({ type: 'ping' });
      expect((await raw.next('pong')).type).toBe('pong');
    };
    await roundTrip();
    const live = () => raw.messages.filter((m) => m.type === 'next' && m.id === 'live');
    const seen = live().length;
    const lastSeen = Math.max(...live().map((m) => m.payload.data.chatSteps.seq as number));
    // The run goes on streaming (about 25 more words at 40 ms), stored and published: five more steps.
    await expect.poll(async () => (await readRun(server, token, runId)).lastSeq, { timeout: 5_000 }).toBeGreaterThanOrEqual(lastSeen + 5);
    await roundTrip();
    // A message already in flight when `complete` was sent may still land; none after the listener is gone.
    expect(live().length).toBe(seen);
    expect(raw.messages.some((m) => m.type === 'complete' && m.id === 'live')).toBe(false);
    raw.socket.close(1000);
  });
});
