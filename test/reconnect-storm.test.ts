/**
 * Reconnect storm. Many subscribers follow many slow runs and drop their
 * connection at random points (disposing the graphql-ws client, terminating
 * the raw socket without a close frame, or closing it cleanly), then resume
 * with `after` = the last seq they saw. Every subscriber must end up with
 * the complete stream: seqs 1..last with no gap and no duplicate, ending
 * with the terminal step, and equal to a replay from 0 (ids, deltas,
 * contents). Runs on each event log: in process, Redis with one server, and
 * Redis with two servers sharing PostgreSQL (runs on A, subscribers on B).
 * 200 reconnects per variant in npm test, 1,000+ in the soak.
 */
import crypto from 'node:crypto';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { reply, startFakeLlm, text, toolCall, type FakeLlm, type Turn } from './fixtures/fake-llm.js';
import { follow, send, startChatServer, STEP_FIELDS, type Step } from './helpers/chat.js';
import { openAcked } from './helpers/raw-ws.js';
import { REDIS_URL, redisReachable } from './helpers/redis.js';
import { childRng, scaled, seededRng, type Rng } from './helpers/scale.js';
import { backends, freshDatabase, type FreshDatabase, type TestServer } from './helpers/server.js';

const RUNS = scaled(6, 16);
const SUBSCRIBERS_PER_RUN = scaled(4, 6);
const RECONNECTS = scaled(200, 1_200);
// Long enough (about 6 s a run) that every subscriber makes its share of drops even on a loaded machine.
const WORDS = scaled(400, 1_000);
const DELAY_MS = 15;

const SUBSCRIPTION = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`;

/** Every run: thinking, text and a calculator call, then a long slow answer once the result is back. */
function respond(body: any): Turn {
  const last = body?.messages?.at(-1);
  const words = Array.from({ length: WORDS }, (_, i) => `w${i}`).join(' ');
  if (last?.role === 'tool') return text(words, { delayMs: DELAY_MS });
  return reply(
    [{ thinking: 'let me think about this for a bit' }, { text: 'Computing first.' }, { toolCalls: [toolCall('calculator', { expression: '6*7' })] }],
    { delayMs: DELAY_MS },
  );
}

type Cut = 'dispose' | 'terminate' | 'close' | 'none';

/** One connection: follows from `after` until the run ends or the cut point; returns what it received. */
async function connectOnce(
  wsUrl: string,
  token: string,
  runId: string,
  after: number,
  cut: Cut,
  cutAfterEvents: number,
  cutAfterMs: number,
): Promise<{ steps: Step[]; errors: unknown[]; ended: boolean }> {
  const steps: Step[] = [];
  const errors: unknown[] = [];
  const isEnd = (s: Step) => s.__typename === 'DoneStep' || s.__typename === 'ErrorStep';
  if (cut === 'dispose' || cut === 'none') {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      lazy: true,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const iterator = client.iterate({ query: SUBSCRIPTION, variables: { runId, after } });
      if (cut !== 'none') timer = setTimeout(() => void iterator.return?.(), cutAfterMs);
      for await (const result of iterator) {
        if (result.errors) errors.push(...result.errors);
        const step = (result.data as { chatSteps?: Step } | null)?.chatSteps;
        if (step) steps.push(step);
        if (cut !== 'none' && steps.length >= cutAfterEvents) break;
      }
    } finally {
      clearTimeout(timer);
      await client.dispose();
    }
    return { steps, errors, ended: steps.length > 0 && isEnd(steps.at(-1)!) };
  }
  // Raw protocol: cut with terminate() (no close frame) or close(1000).
  const socket = await openAcked(wsUrl, token);
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const timer = setTimeout(stop, cutAfterMs);
  socket.ws.on('message', (data) => {
    const message = JSON.parse(data.toString());
    if (message.type === 'next') {
      if (message.payload.errors) errors.push(...message.payload.errors);
      const step = message.payload.data?.chatSteps as Step | undefined;
      if (step) steps.push(step);
      if (steps.length >= cutAfterEvents) stop();
    } else if (message.type === 'error') {
      errors.push(...message.payload);
      stop();
    } else if (message.type === 'complete') stop();
  });
  void socket.closed.then(stop);
  socket.send({ id: 's', type: 'subscribe', payload: { query: SUBSCRIPTION, variables: { runId, after } } });
  await stopped;
  clearTimeout(timer);
  socket.ws.removeAllListeners('message'); // nothing after the cut counts as seen
  if (cut === 'terminate') socket.ws.terminate();
  else socket.ws.close(1000);
  await socket.closed;
  return { steps, errors, ended: steps.length > 0 && isEnd(steps.at(-1)!) };
}

/** A subscriber that keeps dropping and resuming until its share of reconnects is used, then follows to the end. */
async function subscriber(wsUrl: string, token: string, runId: string, reconnects: number, rng: Rng) {
  const seen: Step[] = [];
  const errors: unknown[] = [];
  let made = 0;
  for (let connection = 0; connection < reconnects + 50; connection++) {
    const cut: Cut = made < reconnects ? rng.pick(['dispose', 'terminate', 'close'] as const) : 'none';
    const after = seen.at(-1)?.seq ?? 0;
    const result = await connectOnce(wsUrl, token, runId, after, cut, rng.int(1, 6), rng.int(5, 250));
    seen.push(...result.steps);
    errors.push(...result.errors);
    if (result.ended) return { seen, errors, made };
    if (cut !== 'none') made++;
    // Some resume at once, some after a pause while the run goes on without them.
    if (rng.chance(0.3)) await new Promise((r) => setTimeout(r, rng.int(1, 60)));
  }
  throw new Error(`subscriber on ${runId} never reached the end`);
}

interface Variant {
  name: string;
  enabled: boolean;
  reason?: string;
  /** Servers: runs are sent to `runs`, subscribers connect to `subscribers`. */
  setup(fake: FakeLlm): Promise<{ runs: TestServer; subscribers: TestServer; cleanup(): Promise<void> }>;
}

const redisUp = await redisReachable();
const postgresUp = backends().includes('postgres');
const limits = { MAX_ACTIVE_RUNS_PER_USER: '1000', SEND_RATE_PER_MINUTE: '100000', MAX_SUBSCRIPTIONS_PER_CONNECTION: '100', MAX_CONNECTIONS_PER_USER: '10000' };
const redisEnv = () => ({ REDIS_URL, REDIS_PREFIX: `chat-run-storm-${crypto.randomBytes(4).toString('hex')}:` });

const variants: Variant[] = [
  {
    name: 'in-process event log',
    enabled: true,
    async setup(fake) {
      const server = await startChatServer(fake, { env: limits });
      return { runs: server, subscribers: server, cleanup: () => server.stop() };
    },
  },
  {
    name: 'Redis event log, one server',
    enabled: redisUp,
    reason: `Redis (${REDIS_URL}) is not reachable`,
    async setup(fake) {
      const server = await startChatServer(fake, { env: { ...limits, ...redisEnv() } });
      return { runs: server, subscribers: server, cleanup: () => server.stop() };
    },
  },
  {
    name: 'Redis event log, runs on A, subscribers on B',
    enabled: redisUp && postgresUp,
    reason: !redisUp ? `Redis (${REDIS_URL}) is not reachable` : 'PostgreSQL is not reachable',
    async setup(fake) {
      const database: FreshDatabase = await freshDatabase('postgres');
      const env = { ...limits, ...redisEnv() };
      const a = await startChatServer(fake, { database, env });
      const b = await startChatServer(fake, { database, env });
      return {
        runs: a,
        subscribers: b,
        async cleanup() {
          await b.stop();
          await a.stop();
          await database.drop();
        },
      };
    },
  },
];

for (const variant of variants) {
  if (!variant.enabled) process.stdout.write(`\n[tests] reconnect storm "${variant.name}" skipped: ${variant.reason}.\n`);
  describe.skipIf(!variant.enabled)(`reconnect storm: ${variant.name}`, () => {
    let fake: FakeLlm;
    let servers: Awaited<ReturnType<Variant['setup']>>;
    beforeAll(async () => {
      fake = await startFakeLlm({ respond });
      servers = await variant.setup(fake);
    });
    afterAll(async () => {
      await servers?.cleanup();
      await fake?.close();
    });

    it(`${RECONNECTS} random drops and resumes over ${RUNS} runs: every subscriber gets 1..end once, as the replay`, { timeout: scaled(60_000, 600_000) }, async () => {
      const rng = seededRng(`reconnect storm: ${variant.name}`);
      const started = Date.now();
      const { runs, subscribers } = servers;
      const users = await Promise.all(Array.from({ length: 3 }, (_, i) => runs.token(`storm-user-${i}`, 1, `Storm ${i}`)));
      const sent = await Promise.all(
        Array.from({ length: RUNS }, async (_, i) => {
          const token = users[i % users.length]!;
          const { runId } = await send(runs, token, { text: `storm ${i}`, enabledTools: ['calculator'] });
          return { runId, token };
        }),
      );
      // A quarter more than needed each: a subscriber whose run ends first stops early.
      const share = Math.ceil((1.25 * RECONNECTS) / (RUNS * SUBSCRIBERS_PER_RUN));
      const followers = sent.flatMap(({ runId, token }) =>
        Array.from({ length: SUBSCRIBERS_PER_RUN }, (_, j) => {
          // One generator per subscriber from the seeded one: the interleaving varies, each choice sequence does not.
          const own = childRng(rng);
          return (async () => {
            await new Promise((r) => setTimeout(r, j * 40)); // late joiners replay first
            return { runId, token, ...(await subscriber(subscribers.wsUrl, token, runId, share, own)) };
          })();
        }),
      );
      const results = await Promise.all(followers);
      const reconnects = results.reduce((sum, r) => sum + r.made, 0);
      expect(reconnects).toBeGreaterThanOrEqual(RECONNECTS);

      const replays = new Map<string, Step[]>();
      for (const { runId, token } of sent) {
        const replay = await follow(subscribers, token, runId, 0);
        expect(replay.errors).toEqual([]);
        replays.set(runId, replay.steps);
      }
      for (const { runId, seen, errors } of results) {
        expect(errors).toEqual([]);
        const replay = replays.get(runId)!;
        expect(seen.map((s) => s.seq)).toEqual(seen.map((_, i) => i + 1));
        expect(seen.at(-1)!.__typename).toBe('DoneStep');
        expect(seen).toEqual(replay);
      }
      // The runs had every kind of step, and they all went through the storm.
      const kinds = new Set(replays.values().next().value!.map((s) => s.__typename));
      expect([...kinds].sort()).toEqual(['DoneStep', 'TextStep', 'ThinkingStep', 'ToolCallStep', 'ToolResultStep']);
      const events = [...replays.values()].reduce((sum, r) => sum + r.length, 0);
      process.stdout.write(
        `[reconnect storm: ${variant.name}] ${reconnects} reconnects, ${results.length} subscribers, ${RUNS} runs, ${events} events, ${Date.now() - started} ms\n`,
      );
      expect(subscribers.app.services.bus.listenerCount).toBe(0);
    });
  });
}
