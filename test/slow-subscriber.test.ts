/**
 * A subscriber that stops reading is dropped with SUBSCRIBER_TOO_SLOW once it
 * falls more than SUBSCRIBER_MAX_LAG_EVENTS behind (graphql-ws waits for each
 * socket write, so the backlog would otherwise pile up in the server), and it
 * can resume with `after` and get the rest.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { follow, send, startChatServer } from './helpers/chat.js';
import { openAcked } from './helpers/raw-ws.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('a slow subscriber', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, env: { SUBSCRIBER_MAX_LAG_EVENTS: '20', FLUSH_INTERVAL_MS: '5' } });
    token = await server.token('slowpoke');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('is dropped with SUBSCRIBER_TOO_SLOW and resumes with after', async () => {
    fake.enqueue(text('x'.repeat(300_000), { chunkChars: 300, delayMs: 3 }));
    const { runId } = await send(server, token, { text: 'a long answer please' });

    const { ws: socket, messages, send: sendFrame } = await openAcked(server.wsUrl, token);
    sendFrame(
      {
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription($r: ID!) { chatSteps(runId: $r) { ... on TextStep { seq content } ... on DoneStep { seq } } }',
          variables: { r: runId },
        },
      },
    );
    // The subscription is live on the server once its first step arrives.
    await vi.waitFor(() => expect(messages.some((m) => m.type === 'next')).toBe(true), { timeout: 10_000 });
    // Stop reading: the server's socket buffer fills up, until the server drops the subscriber.
    (socket as unknown as { _socket: { pause(): void; resume(): void } })._socket.pause();
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 20_000 }).toBe(0);
    (socket as unknown as { _socket: { resume(): void } })._socket.resume();

    const ended = await vi.waitFor(
      () => {
        const end = messages.find((m) => m.type === 'error' || m.type === 'complete' || m.payload?.errors);
        if (!end) throw new Error('no end of subscription');
        return end;
      },
      { timeout: 20_000, interval: 50 },
    );
    const errors = ended.type === 'error' ? ended.payload : ended.payload?.errors;
    expect(errors?.[0]?.extensions?.code).toBe('SUBSCRIBER_TOO_SLOW');
    const seen = messages.filter((m) => m.type === 'next' && m.payload?.data?.chatSteps).map((m) => m.payload.data.chatSteps.seq);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen).toEqual(seen.map((_, i) => i + 1));
    socket.close();

    // Resuming after the last seq it got delivers the rest, ending with Done. A resumed client that
    // falls behind again (a loaded machine) is dropped again and resumes again, as a real client would.
    const resumed: number[] = [];
    let last = seen[seen.length - 1];
    for (let attempt = 0; attempt < 50; attempt++) {
      const rest = await follow(server, token, runId, last);
      resumed.push(...rest.steps.map((s) => s.seq));
      if (rest.steps.length > 0) last = rest.steps.at(-1)!.seq;
      if (rest.steps.at(-1)?.__typename === 'DoneStep') break;
      expect((rest.errors[0] as any)?.extensions?.code).toBe('SUBSCRIBER_TOO_SLOW');
    }
    const all = [...seen, ...resumed];
    expect(all).toEqual(all.map((_, i) => i + 1));
    const run = await server.gql('query($id: ID!) { run(id: $id) { status lastSeq } }', { id: runId }, token);
    expect(run.data!.run).toEqual({ status: 'COMPLETED', lastSeq: all.length });
  });
});
