/**
 * Durable before visible, at a cost that grows with time, not tokens: the
 * flusher writes each tick's events in one statement, merging the deltas
 * of a step, so a 10,000-token answer costs a few dozen INSERTs (one per
 * tick at most), not 10,000, and stores a few dozen events; a slow answer
 * costs more statements than a fast one ten times longer.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { expectGapless, follow, readRun, send, startChatServer } from './helpers/chat.js';
import { rowIdOf, sqlRow } from './helpers/rows.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

const FLUSH_INTERVAL_MS = 20;
const words = (n: number) => Array.from({ length: n }, (_, i) => `t${i}`).join(' ');

describeEachBackend('write statements per run', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, env: { FLUSH_INTERVAL_MS: String(FLUSH_INTERVAL_MS) } });
    token = await server.token('writer');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  /** Runs an answer of `n` one-word chunks; returns the INSERT INTO run_events count, stored events and duration. */
  async function measure(n: number, delayMs = 0) {
    const answer = words(n);
    fake.enqueue(text(answer, { delayMs }));
    server.statements.length = 0;
    const started = Date.now();
    const sent = await send(server, token, { text: `give me ${n} tokens` });
    const { steps } = await follow(server, token, sent.runId);
    const elapsedMs = Date.now() - started;
    const inserts = server.statements.filter((s) => /INSERT INTO run_events/i.test(s)).length;
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });
    expect(expectGapless(steps)).toBe(true);
    expect(steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('')).toBe(answer);
    expect((await readRun(server, token, sent.runId)).assistantMessage.text).toBe(answer);
    const { n: stored } = await sqlRow<{ n: number }>(server, 'SELECT count(*)::int AS n FROM run_events WHERE run_id = $1', [rowIdOf(sent.runId)]);
    return { tokens: n, inserts, events: stored, elapsedMs };
  }

  it('a 10,000-token run costs a few dozen INSERTs, bounded by its duration, not its tokens', async () => {
    const large = await measure(10_000);
    const small = await measure(1_000);
    // Fewer tokens, streamed slowly: more ticks with something to write, so more INSERTs.
    const slow = await measure(200, 5);
    process.stdout.write(`\n[write statements, ${backend}] ${JSON.stringify({ large, small, slow })}\n`);
    for (const m of [large, small, slow]) {
      // At most one INSERT per flusher tick (plus the tick that writes the ending), whatever the tokens.
      expect(m.inserts).toBeLessThanOrEqual(Math.ceil(m.elapsedMs / FLUSH_INTERVAL_MS) + 2);
      // Every tick writes events, but the one that may carry only the run's start (its first LLM call).
      expect(m.events + 1).toBeGreaterThanOrEqual(m.inserts);
    }
    // A fast provider's tokens merge into a few events.
    for (const m of [large, small]) expect(m.events).toBeLessThan(m.tokens / 10);
    expect(large.inserts).toBeLessThan(200);
    expect(large.events).toBeLessThan(400);
    // (A provider streaming as fast as it can makes tokens and time grow together, so the
    // fast runs alone cannot separate them; the per-tick bound above and the slow run can.)
    // The count follows time: 200 slow tokens cost more statements than 1,000 fast ones.
    expect(slow.inserts).toBeGreaterThan(small.inserts);
  });

  it('a client subscribing right after sending starts following without reading storage', async () => {
    // The first token comes late, so nothing is published before the subscription starts.
    fake.enqueue(text('one two three', { firstDelayMs: 500 }));
    server.statements.length = 0;
    const sent = await send(server, token, { text: 'three words' });
    const { steps } = await follow(server, token, sent.runId);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });
    expect(expectGapless(steps)).toBe(true);
    const followReads = () => server.statements.filter((s) => /LEFT JOIN LATERAL/i.test(s)).length;
    expect(followReads()).toBe(0);
    // A follow of the finished run reads it.
    const replay = await follow(server, token, sent.runId);
    expect(replay.steps).toEqual(steps);
    expect(followReads()).toBe(1);
  });
});
