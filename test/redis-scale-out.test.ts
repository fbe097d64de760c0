/**
 * Two server instances sharing PostgreSQL and Redis: a run executing on A is
 * followed from B with gapless replay and live events, a cancel sent to B
 * stops the run on A, and when A dies (SIGKILL) B's sweep ends the run as
 * INTERRUPTED after the lease, keeping the flushed text, and B's
 * subscribers get the ErrorStep. A user's sends count against one limit
 * whichever instance takes them.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { FAKE_API_KEY, follow, readRun, send, startChatServer, type Step } from './helpers/chat.js';
import { spawnServer } from './helpers/process.js';
import { REDIS_URL, redisReachable } from './helpers/redis.js';
import { freshDatabase, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';

const redisUp = await redisReachable();
if (!redisUp) process.stdout.write(`\n[tests] scale-out tests skipped: Redis (${REDIS_URL}) is not reachable.\n`);

describe.skipIf(!redisUp)('scale-out with Redis', () => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let a: TestServer;
  let b: TestServer;
  let token: string;
  const prefix = `chat-run-test-${crypto.randomBytes(4).toString('hex')}:`;
  const env = { REDIS_URL, REDIS_PREFIX: prefix, RUN_LEASE_MS: '1000' };

  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase('embedded');
    a = await startChatServer(fake, { database, env });
    b = await startChatServer(fake, { database, env });
    token = await a.token('shared-user', 1, 'Shared');
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await fake?.close();
  });

  it('follows a run on A from B, replay then live, with no gap and no repeat', async () => {
    fake.enqueue(text(Array.from({ length: 60 }, (_, i) => `w${i}`).join(' '), { delayMs: 15 }));
    const { runId } = await send(a, token, { text: 'from A' });
    let firstSeen: number | undefined;
    let seenOnB = 0;
    let joinLate!: () => void;
    const fewEventsOnB = new Promise<void>((resolve) => (joinLate = resolve));
    const [onA, onB, lateOnB] = await Promise.all([
      follow(a, token, runId),
      follow(b, token, runId, 0, (s) => {
        firstSeen ??= s.seq;
        if (++seenOnB === 10) joinLate();
      }),
      // joins after a few events: replay from the database, then live over Redis
      fewEventsOnB.then(() => follow(b, token, runId)),
    ]);
    expect(onA.steps.at(-1)!.__typename).toBe('DoneStep');
    expect(onB.steps).toEqual(onA.steps);
    expect(lateOnB.steps).toEqual(onA.steps);
    expect(firstSeen).toBe(1);
  });

  it('a follower on B claiming an `after` beyond the end hides no live event from the followers after it', async () => {
    fake.enqueue(text(Array.from({ length: 80 }, (_, i) => `c${i}`).join(' '), { delayMs: 20 }));
    const { runId } = await send(a, token, { text: 'claims' });
    const listening = b.app.services.bus.listenerCount;
    // The first listener of the run on B: its `after` is a claim, far beyond what exists.
    const claimer = b.ws(token);
    const claimed = (async () => {
      const query = 'subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { __typename } }';
      for await (const _ of claimer.iterate({ query, variables: { runId, after: 100_000 } }));
    })().catch(() => {});
    await expect.poll(() => b.app.services.bus.listenerCount, { timeout: 5_000 }).toBe(listening + 1);
    const [onA, onB] = await Promise.all([follow(a, token, runId), follow(b, token, runId)]);
    await claimer.dispose();
    await claimed;
    expect(onA.steps.at(-1)!.__typename).toBe('DoneStep');
    expect(onB.steps).toEqual(onA.steps);
  }, 20_000);

  it('stops a run executing on A when cancelRun is sent to B', async () => {
    fake.enqueue(text(Array.from({ length: 400 }, (_, i) => `t${i}`).join(' '), { delayMs: 20 }));
    const { runId } = await send(a, token, { text: 'long one' });
    // Cancelled once its steps reach B: executing on A and published over Redis.
    let streamed!: () => void;
    const streaming = new Promise<void>((resolve) => (streamed = resolve));
    const following = follow(b, token, runId, 0, (s) => s.seq >= 5 && streamed());
    await streaming;
    const cancelled = await b.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: runId }, token);
    expect(cancelled).toEqual({ data: { cancelRun: { status: 'CANCELLED' } } });
    const { steps } = await following;
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
    expect(steps.map((s) => s.seq)).toEqual(steps.map((_, i) => i + 1));
    const run = await readRun(a, token, runId);
    expect(run.assistantMessage.text.length).toBeGreaterThan(0);
  });

  it('ends the run of a killed instance as INTERRUPTED on B, keeping the flushed text', async () => {
    const child = await spawnServer({
      AUTH_SECRET: TEST_SECRET,
      ...database.env,
      ...env,
      LLM_BASE_URL: fake.url,
      LLM_MODEL: 'fake-model',
      LLM_API_KEY: FAKE_API_KEY,
      DEMO_MODEL: 'false',
    });
    try {
      fake.enqueue(text(Array.from({ length: 2000 }, (_, i) => `k${i}`).join(' '), { delayMs: 10 }));
      const sent = await fetch(child.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { sendMessage(input: { text: "crash me" }) { run { id } } }' }),
      }).then((r) => r.json() as Promise<any>);
      const runId = sent.data.sendMessage.run.id as string;
      const seen: Step[] = [];
      let killed = false;
      const { steps } = await follow(b, token, runId, 0, (step) => {
        seen.push(step);
        if (!killed && seen.length >= 5) {
          killed = true;
          child.child.kill('SIGKILL');
        }
      });
      expect(killed).toBe(true);
      const last = steps.at(-1)!;
      expect(last).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED', retryable: true });
      expect(steps.map((s) => s.seq)).toEqual(steps.map((_, i) => i + 1));
      const run = await readRun(b, token, runId);
      expect(run.status).toBe('INTERRUPTED');
      const streamed = steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
      expect(run.assistantMessage.text).toBe(streamed);
      expect(streamed.length).toBeGreaterThan(0);
      // Everything seen is still stored, identically.
      const replay = await follow(b, token, runId);
      expect(replay.steps).toEqual(steps);
    } finally {
      child.child.kill('SIGKILL');
    }
  });
});

describe.skipIf(!redisUp)('the per-user send rate with Redis', () => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase('embedded');
    const env = { REDIS_URL, REDIS_PREFIX: `chat-run-test-${crypto.randomBytes(4).toString('hex')}:`, SEND_RATE_PER_MINUTE: '3' };
    a = await startChatServer(fake, { database, env });
    b = await startChatServer(fake, { database, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await database?.drop();
    await fake?.close();
  });

  it('counts the sends of a user across instances', async () => {
    const token = await a.token('rate-user');
    for (const server of [a, b, a]) {
      fake.enqueue(text('ok'));
      const { runId } = await send(server, token, { text: 'counted once, wherever it lands' });
      await follow(server, token, runId);
    }
    for (const server of [b, a]) {
      const refused = await server.gql(`mutation { sendMessage(input: { text: "one too many" }) { run { id } } }`, {}, token);
      expect(refused.errors?.[0]).toMatchObject({
        message: 'At most 3 messages a minute; try again shortly.',
        extensions: { code: 'RATE_LIMITED', retryAfterMs: expect.any(Number) },
      });
    }
  });
});

