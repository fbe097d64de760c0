/**
 * Two instances whose Redis connections go through a TCP proxy, so a test
 * can cut them (ioredis reconnects) or hold them (an outage that still looks
 * connected): live events keep reaching the other instance promptly after a
 * reconnect.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStreamEvent } from '../src/services/runs/run-event.js';
import { startFakeLlm, type FakeLlm } from './fixtures/fake-llm.js';
import { startChatServer } from './helpers/chat.js';
import { REDIS_URL, redisReachable, startRedisProxy, type RedisProxy } from './helpers/redis.js';
import { backends, freshDatabase, type FreshDatabase, type TestServer } from './helpers/server.js';

const redisUp = await redisReachable();
const postgresUp = backends().includes('postgres');
if (!redisUp || !postgresUp) {
  process.stdout.write(`\n[tests] Redis outage tests skipped: ${!redisUp ? `Redis (${REDIS_URL})` : 'PostgreSQL'} is not reachable.\n`);
}

/**
 * Far above the few milliseconds an event takes from A to B, far below the
 * 10 s a follower waited after a reconnect (the reader's blocking XREAD
 * timeout) when the reader could no longer be woken.
 */
const MAX_LAG_MS = 1_000;

describe.skipIf(!redisUp || !postgresUp)('Redis connections cut or held', () => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let proxy: RedisProxy;
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase('postgres');
    proxy = await startRedisProxy();
    const env = { REDIS_URL: proxy.url, REDIS_PREFIX: `chat-run-test-${crypto.randomBytes(4).toString('hex')}:` };
    a = await startChatServer(fake, { database, env });
    b = await startChatServer(fake, { database, env });
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await proxy?.close();
    await database?.drop();
    await fake?.close();
  });

  /** Milliseconds from A publishing an event of a new run to B's listener receiving it. */
  async function lag(): Promise<number> {
    const runId = crypto.randomUUID();
    const live = b.app.services.bus.listen(runId);
    try {
      const started = performance.now();
      const event: RunStreamEvent = { type: 'text', runId, seq: 1, stepId: crypto.randomUUID(), index: 0, delta: 'hi', offset: 0 };
      a.app.services.bus.publish(runId, [event]);
      const next = await live[Symbol.asyncIterator]().next();
      expect(next.value).toEqual(event);
      return performance.now() - started;
    } finally {
      live.close();
    }
  }

  it(`delivers A's events to a new follower on B within ${MAX_LAG_MS} ms, before and after a reconnect`, { timeout: 60_000 }, async () => {
    // A follower that stays across the cut keeps B's reader blocked in XREAD while it happens.
    const staying = b.app.services.bus.listen(crypto.randomUUID());
    try {
      expect(await lag()).toBeLessThan(MAX_LAG_MS);
      proxy.cut();
      // The first event after the cut also waits for the reconnect: how long is not the point.
      await lag();
      for (let i = 0; i < 3; i++) expect(await lag()).toBeLessThan(MAX_LAG_MS);
    } finally {
      staying.close();
    }
  });
});
