/**
 * MAX_CONNECTIONS_PER_USER: one user holds at most that many WebSockets on
 * an instance; the next is closed with 4029 "Too many connections for this
 * user" (not 4403, which clients read as "refresh the token"). Other users
 * are unaffected, and a closed socket frees its slot, whether it closed
 * after its connection_init or before.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAcked, openRaw, type RawSocket } from './helpers/raw-ws.js';
import { startServer, type TestServer } from './helpers/server.js';

const CAP = 3;

describe('connections per user', () => {
  let server: TestServer;
  const sockets: RawSocket[] = [];
  beforeAll(async () => {
    server = await startServer({ env: { MAX_CONNECTIONS_PER_USER: String(CAP) } });
  });
  afterAll(async () => {
    for (const socket of sockets) socket.ws.terminate();
    await server?.stop();
  });

  /** connection_init with the token; resolves with the ack or the close code. */
  async function connect(token: string): Promise<{ acked: true; socket: RawSocket } | { acked: false; code: number; reason: string }> {
    const socket = await openRaw(server.wsUrl);
    sockets.push(socket);
    socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
    const ack = await socket.waitFor((m) => m?.type === 'connection_ack');
    if (ack) return { acked: true, socket };
    return { acked: false, ...(await socket.closed) };
  }

  it('closes the cap+1-th connection of one user with 4029; others still connect; a close frees a slot', async () => {
    const token = await server.token('cap-user');
    const open = await Promise.all(Array.from({ length: CAP }, () => openAcked(server.wsUrl, token)));
    sockets.push(...open);

    expect(await connect(token)).toEqual({ acked: false, code: 4029, reason: 'Too many connections for this user' });
    // Refused connections took no slot: still refused, with the same code.
    expect(await connect(token)).toMatchObject({ acked: false, code: 4029 });

    // Another user is not affected.
    expect(await connect(await server.token('cap-other'))).toMatchObject({ acked: true });

    // Closing one frees its slot (the server sees the close shortly after the client).
    open[0]!.ws.close();
    await open[0]!.closed;
    await expect.poll(async () => (await connect(token)).acked, { timeout: 10_000, interval: 50 }).toBe(true);
    expect(await connect(token)).toMatchObject({ acked: false, code: 4029 });
  });

  it('frees the slot of a socket that closes before or right after its connection_init', async () => {
    const token = await server.token('cap-quick');
    // Sockets that never init, and sockets cut right after sending it, hold nothing once closed.
    for (let i = 0; i < CAP * 2; i++) {
      const socket = await openRaw(server.wsUrl);
      if (i % 2 === 0) socket.send({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } });
      socket.ws.terminate();
      await socket.closed;
    }
    // All CAP slots come back (polled: the server may still be authenticating the cut ones).
    await expect
      .poll(
        async () => {
          const attempt = await Promise.all(Array.from({ length: CAP }, () => connect(token)));
          for (const a of attempt) if (a.acked) a.socket.ws.close();
          await Promise.all(attempt.map((a) => (a.acked ? a.socket.closed : undefined)));
          return attempt.every((a) => a.acked);
        },
        { timeout: 10_000, interval: 100 },
      )
      .toBe(true);
  });

  it('reports the code to a graphql-ws client', async () => {
    const token = await server.token('cap-client');
    sockets.push(...(await Promise.all(Array.from({ length: CAP }, () => openAcked(server.wsUrl, token)))));
    const client = server.ws(token);
    let failure: unknown;
    try {
      for await (const _ of client.iterate({ query: '{ viewer { id } }' })) void _;
    } catch (error) {
      failure = error;
    }
    expect(failure).toMatchObject({ code: 4029, reason: 'Too many connections for this user' });
  });
});
