/**
 * Ten users with ten slow runs each must not starve an eleventh: a freed
 * run slot goes to the waiting user with the fewest runs executing, so the
 * bystander's run starts within one slot's turnover, not after the whole
 * queue. And no run holds its slot forever: RUN_MAX_DURATION_MS ends it
 * TIMEOUT, its answer so far kept.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, follow, readRun, send, startChatServer } from './helpers/chat.js';
import type { TestServer } from './helpers/server.js';

const SLOTS = 10;
const USERS = 10;
const RUNS_PER_USER = 5;

/** The user message a request to the provider answers. */
const questionOf = (body: any): string => body.messages.filter((m: any) => m.role === 'user').at(-1).content;

describe('run slots under load', () => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, {
      env: { MAX_RUNS_IN_FLIGHT: String(SLOTS), MAX_ACTIVE_RUNS_PER_USER: String(RUNS_PER_USER), RUN_MAX_DURATION_MS: '4000' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it(`starts a bystander's run within one slot's turnover while ${USERS} users queue ${RUNS_PER_USER} trickling runs each`, async () => {
    // Each run holds its slot about a second: the queue outlasts the sends.
    const trickle = () => text('one two three four five', { delayMs: 200 });
    for (let i = 0; i < USERS * RUNS_PER_USER + 1; i++) fake.enqueue(trickle());
    const tokens = await Promise.all(Array.from({ length: USERS }, (_, u) => server.token(`heavy-${u}`)));
    const sent = await Promise.all(
      Array.from({ length: USERS * RUNS_PER_USER }, (_, i) => send(server, tokens[i % USERS]!, { text: `heavy ${i}` })),
    );
    await expect.poll(() => fake.requests.length).toBeGreaterThanOrEqual(SLOTS);
    // The test means something only while runs still wait: two waves or more (first come first
    // served would start every one of them first).
    expect(server.app.services.executor.queuedCount).toBeGreaterThanOrEqual(2 * SLOTS);

    const bystanderToken = await server.token('bystander');
    const bystander = await send(server, bystanderToken, { text: 'bystander question' });
    // sendMessage has queued the run for a slot by the time it answers.
    const startedBefore = fake.requests.length;
    const { steps } = await follow(server, bystanderToken, bystander.runId);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });

    // Runs that reached the provider after the bystander sent and before its own request:
    // at most the users holding no slot yet, each served once (first come first served: about 40).
    const order = fake.requests.map((r) => questionOf(r.body));
    const overtakers = order.indexOf('bystander question') - startedBefore;
    expect(overtakers).toBeGreaterThanOrEqual(0);
    expect(overtakers).toBeLessThan(SLOTS);

    // Everyone else still gets through.
    const all = await Promise.all(sent.map((s, i) => follow(server, tokens[i % USERS]!, s.runId)));
    expect(all.every(({ steps }) => steps.at(-1)!.__typename === 'DoneStep')).toBe(true);
  });

  it('ends a run that outlives RUN_MAX_DURATION_MS with TIMEOUT, keeping its answer so far and freeing its slot', async () => {
    const token = await server.token('endless');
    const words = Array.from({ length: 400 }, (_, i) => `w${i}`).join(' ');
    fake.enqueue(text(words, { delayMs: 50 }));
    const started = Date.now();
    const { runId, steps, last } = await chat(server, token, { text: 'never stop talking' });
    expect(Date.now() - started).toBeLessThan(9_000);
    expect(last).toMatchObject({ __typename: 'ErrorStep', code: 'TIMEOUT', retryable: true });
    expect(last.message).toMatch(/time limit/);
    const streamed = steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    expect(streamed.length).toBeGreaterThan(0);
    const run = await readRun(server, token, runId);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'TIMEOUT' } });
    expect(run.assistantMessage.text).toBe(streamed);
    // The provider request was let go, and the slot serves the next run.
    await expect.poll(() => fake.open).toBe(0);
    fake.enqueue(text('next'));
    expect((await chat(server, token, { text: 'again' })).last).toMatchObject({ __typename: 'DoneStep' });
  });
});
