/**
 * A subscription over SSE ends when its token expires, as a WebSocket is
 * closed with 4403 then: the last event carries UNAUTHENTICATED "Token
 * expired", then the stream completes, so the client refreshes its token
 * and resubscribes with `after`. The run itself goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { readRun, send, startChatServer, STEP_FIELDS } from './helpers/chat.js';
import { TEST_SECRET, type TestServer } from './helpers/server.js';
import { readEvents } from './helpers/sse.js';
import { mintToken } from '../src/services/users/auth-service.js';

const STEPS = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`;
const nowSeconds = () => Math.floor(Date.now() / 1000);

describe('SSE subscription at token expiry', () => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake);
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('ends the stream with UNAUTHENTICATED "Token expired" soon after expiry, and the run goes on', async () => {
    // About 12 s of words: still streaming well after the token's 2 s.
    fake.enqueue(text(Array.from({ length: 300 }, (_, i) => `w${i}`).join(' '), { delayMs: 40 }));
    const longToken = await server.token('sse-expiring');
    const { runId } = await send(server, longToken, { text: 'a long answer please' });

    const exp = nowSeconds() + 2;
    const shortToken = await mintToken(TEST_SECRET, { sub: 'sse-expiring', expiresIn: exp });
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${shortToken}` },
      body: JSON.stringify({ query: STEPS, variables: { runId, after: 0 } }),
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');

    const results: any[] = [];
    let completedAt: number | undefined;
    // The reader ends with the body: a server that never ends the stream fails on the test timeout.
    for await (const event of readEvents(response.body!)) {
      if (event.event === 'complete') {
        completedAt = Date.now();
        break;
      }
      results.push(JSON.parse(event.data));
    }
    expect(completedAt).toBeDefined();
    const last = results.at(-1);
    expect(last.errors).toEqual([expect.objectContaining({ message: 'Token expired', extensions: { code: 'UNAUTHENTICATED' } })]);
    // Steps streamed until then, and only the last result is the error.
    expect(results.slice(0, -1).every((r) => r.data?.chatSteps && !r.errors)).toBe(true);
    expect(results.length).toBeGreaterThan(3);
    // At expiry: not before it (100 ms for clock rounding), not long after (generous for a loaded machine).
    expect(completedAt!).toBeGreaterThanOrEqual(exp * 1000 - 100);
    expect(completedAt!).toBeLessThan(exp * 1000 + 3_000);

    // The subscription's live listener is gone, and the run was not touched.
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 5_000 }).toBe(0);
    expect((await readRun(server, longToken, runId)).status).toBe('RUNNING');
    await server.gql('mutation($id: ID!) { cancelRun(id: $id) { id } }', { id: runId }, longToken);
  });
});
