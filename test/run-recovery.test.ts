/**
 * A crash mid-run loses nothing a client saw. The server runs as its own
 * process (on the embedded PostgreSQL and on an external one),
 * streams a slow run to a subscriber, and is killed with SIGKILL. A second
 * server on the same database sweeps the run once its lease expires: the
 * subscriber resuming from the last seq it saw gets the INTERRUPTED
 * ErrorStep at exactly the next seq after the last stored event, every event
 * it saw is still stored as it saw it, and the assistant message holds the
 * flushed text. A graceful stop ends active runs INTERRUPTED at once.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/services/users/auth-service.js';
import { reply, startFakeLlm, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chatProcessEnv, chat, follow, followUntilKilled, readRun, send, startChatServer, STEP_FIELDS, type Step } from './helpers/chat.js';
import { deadServerSettled, rowIdOf } from './helpers/rows.js';
import { spawnServer } from './helpers/process.js';
import { describeEachBackend, freshDatabase, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';

describeEachBackend('restart recovery', (backend) => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let child: ChildProcess | undefined;
  let second: TestServer | undefined;
  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase(backend);
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await second?.stop();
    await fake?.close();
    await database?.drop();
  });

  it('SIGKILL mid-run: the resuming subscriber gets INTERRUPTED at the next seq, nothing seen is lost', async () => {
    const started = await spawnServer(chatProcessEnv(fake, database, { RUN_LEASE_MS: '1000', LOG_LEVEL: 'warn' }));
    child = started.child;
    const token = await mintToken(TEST_SECRET, { sub: 'crash-victim', name: 'Victim' });
    const words = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ');
    // A first iteration (a tool call) ends before the crash: its usage must survive it.
    fake.enqueue(reply([{ toolCalls: [toolCall('current_time', {})] }], { usage: { prompt: 7, completion: 3 } }), text(words, { delayMs: 50 }));

    const sent = await fetch(started.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({
        query: 'mutation { sendMessage(input: { text: "tell me a long story", enabledTools: ["current_time"] }) { run { id } conversation { id } } }',
      }),
    }).then((r) => r.json() as Promise<any>);
    expect(sent.errors).toBeUndefined();
    const runId: string = sent.data.sendMessage.run.id;
    const conversationId: string = sent.data.sendMessage.conversation.id;

    // Follow over graphql-ws until a few text events arrived, then kill the server.
    const { seen, killed } = await followUntilKilled(started.url, token, runId, (seen) => seen.filter((s) => s.__typename === 'TextStep').length >= 5, () => {
      child!.kill('SIGKILL');
    });
    await started.exited;
    expect(killed).toBe(true);
    const lastSeen = seen.at(-1)!.seq;
    expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));

    // What the dead server left in the database.
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    let lastStored: number;
    try {
      await deadServerSettled(db);
      const [row] = (await db.query('SELECT max(seq)::int AS seq FROM run_events WHERE run_id = $1', [rowIdOf(runId)])).rows;
      lastStored = row.seq;
      // An active run's row is not rewritten per tick: its events alone say how far it got.
      const [runRow] = (await db.query('SELECT status, last_seq FROM runs WHERE id = $1', [rowIdOf(runId)])).rows;
      expect(runRow).toEqual({ status: 'RUNNING', last_seq: 0 });
    } finally {
      await db.end();
    }
    expect(lastStored).toBeGreaterThanOrEqual(lastSeen);

    // A second server on the same database; the run's owner stops renewing its lease.
    second = await startChatServer(fake, { database, env: { RUN_LEASE_MS: '1000' } });
    const resumed = await follow(second, token, runId, lastSeen);
    expect(resumed.errors).toEqual([]);
    const interrupted = resumed.steps.at(-1)!;
    expect(interrupted).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED', retryable: true, seq: lastStored + 1 });
    // Whatever was stored after the last seq seen comes first, gapless.
    expect(resumed.steps.map((s) => s.seq)).toEqual(Array.from({ length: lastStored + 1 - lastSeen }, (_, i) => lastSeen + 1 + i));

    const run = await readRun(second, token, runId);
    expect(run.status).toBe('INTERRUPTED');
    expect(run.error.code).toBe('INTERRUPTED');
    expect(run.lastSeq).toBe(lastStored + 1);

    // Every event the first subscriber saw is stored exactly as it saw it.
    const replay = await follow(second, token, runId, 0);
    expect(replay.steps.slice(0, seen.length)).toEqual(seen);
    expect(replay.steps.at(-1)).toEqual(interrupted);
    expect(replay.steps).toHaveLength(lastStored + 1);

    // The assistant message holds every flushed text delta.
    const storedText = replay.steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    const seenText = seen.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    expect(storedText.startsWith(seenText)).toBe(true);
    expect(words.startsWith(storedText)).toBe(true);
    expect(run.assistantMessage.text).toBe(storedText);
    expect(interrupted.partialMessageId).toBe(run.assistantMessage.id);
    // tool call 0, tool result 1, text 2, then the ending
    expect(interrupted.index).toBe(3);
    expect(run.usage).toEqual({ promptTokens: 7, completionTokens: 3, totalTokens: 10, reasoningTokens: null });
    expect(run.iterations).toBe(2);

    // And the conversation takes the next message.
    fake.enqueue(text('Back again.'));
    const next = await chat(second, token, { conversationId, text: 'are you back?' });
    expect(next.last).toMatchObject({ __typename: 'DoneStep' });
  });
});

describeEachBackend('graceful shutdown mid-run', (backend) => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let restarted: TestServer | undefined;
  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase(backend);
  });
  afterAll(async () => {
    await restarted?.stop();
    await fake?.close();
    await database?.drop();
  });

  it('ends active runs INTERRUPTED; a client resuming from its last seq after the restart gets the rest and the ending', async () => {
    const first = await startChatServer(fake, { database });
    const token = await first.token('stopper');
    fake.enqueue(text(Array.from({ length: 300 }, (_, i) => `s${i}`).join(' '), { delayMs: 20 }));
    const sent = await send(first, token, { text: 'long' });
    // Follow over graphql-ws; the socket closes (1001) when the server stops.
    const seen: Step[] = [];
    let reached!: () => void;
    const midway = new Promise<void>((resolve) => (reached = resolve));
    const client = first.ws(token);
    const following = (async () => {
      try {
        for await (const result of client.iterate({
          query: `subscription($runId: ID!) { chatSteps(runId: $runId) { ${STEP_FIELDS} } }`,
          variables: { runId: sent.runId },
        })) {
          const step = (result.data as any)?.chatSteps as Step | undefined;
          if (step) seen.push(step);
          if (step?.__typename === 'TextStep' && step.seq >= 3) reached();
        }
      } catch {
        // closed by the shutdown
      }
    })();
    await midway;
    // The app itself (the helper's stop would close our subscription first).
    await first.app.stop();
    await following;
    await first.stop();
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);
    expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));
    // The subscriber still connected at shutdown received the ending before its socket closed.
    expect(seen.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED' });

    restarted = await startChatServer(fake, { database });
    const run = await readRun(restarted, token, sent.runId);
    expect(run.status).toBe('INTERRUPTED');
    const replay = (await follow(restarted, token, sent.runId)).steps;
    const ending = replay.at(-1)!;
    expect(ending).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED', retryable: true, seq: run.lastSeq });
    // What the subscriber saw is stored as it saw it; resuming from its last seq gives the rest, ending included.
    expect(replay.slice(0, seen.length)).toEqual(seen);
    const lastSeen = seen.at(-1)!.seq;
    const resumed = await follow(restarted, token, sent.runId, lastSeen);
    expect([...seen, ...resumed.steps]).toEqual(replay);
    expect(run.assistantMessage.text).toBe(replay.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join(''));
    expect(ending.partialMessageId).toBe(run.assistantMessage.id);
    fake.enqueue(text('Back.'));
    expect((await chat(restarted, token, { conversationId: sent.conversationId, text: 'again' })).last.__typename).toBe('DoneStep');
  });
});
