/**
 * Crash at random moments. The server runs as its own process, on the
 * embedded PostgreSQL and on an external one, and is killed with
 * SIGKILL while streaming, right after a ToolCallStep (mid-tool), right
 * after the first event of a fast burst with a short flush interval
 * (mid-flush), or after a random delay. A server restarted on the same
 * database must show that nothing a subscriber saw was lost: every seen
 * event is stored with the same seq, id and delta; the run ends INTERRUPTED
 * with its ErrorStep at the last stored seq + 1; `chatSteps(after: lastSeen)`
 * delivers the rest ending with that ErrorStep; and the conversation takes
 * a new message. 4 kill points in npm test, 16 in the soak.
 */
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mintToken } from '../src/services/users/auth-service.js';
import { reply, startFakeLlm, text, toolCall, type FakeLlm, type Turn } from './fixtures/fake-llm.js';
import { chatProcessEnv, chat, follow, followUntilKilled, readRun, startChatServer } from './helpers/chat.js';
import { spawnServer } from './helpers/process.js';
import { deadServerSettled, rowIdOf } from './helpers/rows.js';
import { scaled, seededRng, type Rng } from './helpers/scale.js';
import { describeEachBackend, freshDatabase, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';

type KillPoint = 'streaming' | 'mid-tool' | 'mid-flush' | 'random-time';
const POINTS: KillPoint[] = ['streaming', 'mid-tool', 'mid-flush', 'random-time'];
const ROUNDS = scaled(4, 16);

const words = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}${i}`).join(' ');

/** The fake's script for a kill point: slow enough that the kill lands mid-run. */
function script(point: KillPoint, rng: Rng): (body: any) => Turn {
  const delayMs = rng.int(5, 25);
  return (body) => {
    const last = body?.messages?.at(-1);
    if (typeof last?.content === 'string' && last.content.includes('after the crash')) return text('Back again.');
    switch (point) {
      case 'mid-tool':
        if (last?.role === 'tool') return text(words(300, 'r'), { delayMs });
        return reply([{ text: 'Let me compute that.' }, { toolCalls: [toolCall('calculator', { expression: '12*(3+4)' })] }], { delayMs: 5 });
      case 'mid-flush':
        // A burst: many tiny deltas with no pause between most of them.
        return reply([{ thinking: words(200, 't') }, { text: words(2_000, 'b') }], { chunkChars: 3, delayMs: 1 });
      default:
        return reply([{ thinking: words(rng.int(5, 30), 't') }, { text: words(400, 's') }], { delayMs });
    }
  };
}

describeEachBackend('crash at random moments', (backend) => {
  let database: FreshDatabase;
  let db: pg.Client;
  const open: { child?: import('node:child_process').ChildProcess; server?: TestServer; fake?: FakeLlm }[] = [];

  beforeAll(async () => {
    database = await freshDatabase(backend);
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
  });
  afterAll(async () => {
    for (const o of open) {
      o.child?.kill('SIGKILL');
      await o.server?.stop();
      await o.fake?.close();
    }
    await db?.end();
    await database?.drop();
  });

  it(`${ROUNDS} SIGKILLs (streaming, mid-tool, mid-flush, random time): nothing seen is lost, INTERRUPTED at the next seq`, { timeout: scaled(90_000, 900_000) }, async () => {
    const rng = seededRng('crash');
    const token = await mintToken(TEST_SECRET, { sub: 'crash-user', name: 'Crash' });
    for (let round = 0; round < ROUNDS; round++) {
      const point = round < POINTS.length ? POINTS[round]! : rng.pick(POINTS);
      const started = Date.now();
      const fake = await startFakeLlm({ respond: script(point, rng) });
      const slot: (typeof open)[number] = { fake };
      open.push(slot);
      const child = await spawnServer(
        chatProcessEnv(fake, database, {
          RUN_LEASE_MS: '1000',
          FLUSH_INTERVAL_MS: point === 'mid-flush' ? '2' : String(rng.int(5, 40)),
        }),
      );
      slot.child = child.child;

      const sent = await fetch(child.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } conversation { id } } }',
          variables: { input: { text: `round ${round}: ${point}`, enabledTools: ['calculator'] } },
        }),
      }).then((r) => r.json() as Promise<any>);
      expect(sent.errors).toBeUndefined();
      const runId: string = sent.data.sendMessage.run.id;
      const conversationId: string = sent.data.sendMessage.conversation.id;

      // Follow on the doomed server and kill it at the chosen point.
      const textEvents = rng.int(1, 25);
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        child.child.kill('SIGKILL');
      };
      const timer = point === 'random-time' ? setTimeout(kill, rng.int(20, 1_500)) : undefined;
      const { seen } = await followUntilKilled(
        child.url,
        token,
        runId,
        (steps) =>
          point === 'mid-flush' ||
          (point === 'mid-tool' && steps.at(-1)?.__typename === 'ToolCallStep') ||
          (point === 'streaming' && steps.filter((s) => s.__typename === 'TextStep').length >= textEvents),
        kill,
      );
      clearTimeout(timer);
      kill();
      await child.exited;
      expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));
      expect(seen.some((s) => s.__typename === 'DoneStep' || s.__typename === 'ErrorStep')).toBe(false);
      const lastSeen = seen.at(-1)?.seq ?? 0;

      // What the dead server left behind, once its last statements are over.
      await deadServerSettled(db);
      const [stored] = (await db.query('SELECT coalesce(max(seq), 0)::int AS seq FROM run_events WHERE run_id = $1', [rowIdOf(runId)])).rows;
      const lastStored: number = stored.seq;
      const [row] = (await db.query('SELECT status FROM runs WHERE id = $1', [rowIdOf(runId)])).rows;
      expect(['QUEUED', 'RUNNING']).toContain(row.status);
      expect(lastStored).toBeGreaterThanOrEqual(lastSeen);

      // Restart on the same database: the sweep ends the run once the dead owner's lease is over.
      const server = await startChatServer(fake, { database, env: { RUN_LEASE_MS: '1000' } });
      slot.server = server;
      const resumed = await follow(server, token, runId, lastSeen);
      expect(resumed.errors).toEqual([]);
      const ending = resumed.steps.at(-1)!;
      expect(ending).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED', retryable: true, seq: lastStored + 1 });
      expect(resumed.steps.map((s) => s.seq)).toEqual(Array.from({ length: lastStored + 1 - lastSeen }, (_, i) => lastSeen + 1 + i));

      const replay = await follow(server, token, runId, 0);
      expect(replay.steps.slice(0, seen.length)).toEqual(seen);
      expect(replay.steps.slice(lastSeen)).toEqual(resumed.steps);
      expect(replay.steps).toHaveLength(lastStored + 1);
      // Every seen event is stored as it was seen, down to the row.
      const rows = (await db.query('SELECT seq, step_id, payload FROM run_events WHERE run_id = $1 ORDER BY seq', [rowIdOf(runId)])).rows;
      for (const step of seen) {
        const stored = rows.find((r: any) => r.seq === step.seq);
        expect(stored?.step_id).toBe(step.id);
        if ('delta' in step) expect(stored?.payload?.delta).toBe(step.delta);
      }

      const run = await readRun(server, token, runId);
      expect(run.status).toBe('INTERRUPTED');
      expect(run.lastSeq).toBe(lastStored + 1);
      // Message.text: each text step's whole text, steps joined by a blank line.
      const byStep = new Map<number, string>();
      for (const s of replay.steps) if (s.__typename === 'TextStep') byStep.set(s.index, (byStep.get(s.index) ?? '') + s.delta);
      const storedText = [...byStep.entries()].sort(([a], [b]) => a - b).map(([, t]) => t).filter(Boolean).join('\n\n');
      if (lastStored > 0) {
        expect(ending.partialMessageId).toBe(run.assistantMessage.id);
        expect(run.assistantMessage.text).toBe(storedText);
      }

      const next = await chat(server, token, { conversationId, text: 'are you there after the crash?' });
      expect(next.errors).toEqual([]);
      expect(next.last).toMatchObject({ __typename: 'DoneStep' });

      await server.stop();
      await fake.close();
      slot.server = undefined;
      slot.fake = undefined;
      slot.child = undefined;
      process.stdout.write(
        `[crash] round ${round} ${point}: saw ${lastSeen}, stored ${lastStored}, ${seen.map((s) => s.__typename[0]).join('')} ${Date.now() - started} ms\n`,
      );
    }
  });
});
