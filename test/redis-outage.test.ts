/**
 * Two instances whose Redis connections go through a TCP proxy, so a test
 * can cut them (ioredis reconnects) or hold them (an outage that still looks
 * connected): live events keep reaching the other instance promptly after a
 * reconnect, and cancelRun and sendMessage answer within a few seconds
 * during an outage.
 * And a server started with an unreachable REDIS_URL says so in one line.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunStreamEvent } from '../src/services/runs/run-event.js';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { readRun, send, startChatServer } from './helpers/chat.js';
import { REDIS_URL, redisReachable, startRedisProxy, type RedisProxy } from './helpers/redis.js';
import { freshDatabase, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';

const redisUp = await redisReachable();
if (!redisUp) process.stdout.write(`\n[tests] Redis outage tests skipped: Redis (${REDIS_URL}) is not reachable.\n`);

/**
 * Far above the few milliseconds an event takes from A to B, far below the
 * 10 s a follower waited after a reconnect (the reader's blocking XREAD
 * timeout) when the reader could no longer be woken.
 */
const MAX_LAG_MS = 1_000;
/** cancelRun during an outage answers within this (its publish is bounded at 3 s). */
const MAX_CANCEL_MS = 8_000;
/** sendMessage during an outage answers within this (the send limiter waits at most 1 s for Redis). */
const MAX_SEND_MS = 3_000;

describe.skipIf(!redisUp)('Redis connections cut or held', () => {
  let fake: FakeLlm;
  let database: FreshDatabase;
  let proxy: RedisProxy;
  let a: TestServer;
  let b: TestServer;
  let token: string;

  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase('embedded');
    proxy = await startRedisProxy();
    const env = { REDIS_URL: proxy.url, REDIS_PREFIX: `chat-run-test-${crypto.randomBytes(4).toString('hex')}:` };
    a = await startChatServer(fake, { database, env });
    b = await startChatServer(fake, { database, env });
    token = await a.token('outage-user');
  });
  afterAll(async () => {
    proxy?.hold(false);
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

  for (const outage of ['held', 'cut and held'] as const) {
    it(`answers cancelRun on B for a run on A within a few seconds while Redis is ${outage}`, { timeout: 60_000 }, async () => {
      fake.enqueue(text(Array.from({ length: 3000 }, (_, i) => `w${i}`).join(' '), { delayMs: 10 }));
      const { runId } = await send(a, token, { text: `cancel me while Redis is ${outage}` });
      await expect.poll(async () => (await readRun(a, token, runId)).status, { timeout: 10_000 }).toBe('RUNNING');
      proxy.hold(true);
      if (outage === 'cut and held') proxy.cut();
      let answer;
      const started = performance.now();
      try {
        answer = await b.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: runId }, token);
      } finally {
        proxy.hold(false);
        proxy.cut();
      }
      expect(performance.now() - started).toBeLessThan(MAX_CANCEL_MS);
      expect(answer.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/try again/i) });
      // Once Redis is back, the cancel goes through.
      await expect
        .poll(async () => (await b.gql(`mutation($id: ID!) { cancelRun(id: $id) { status } }`, { id: runId }, token)).data?.cancelRun?.status, {
          timeout: 30_000,
          interval: 200,
        })
        .toBe('CANCELLED');
    });
  }

  for (const outage of ['held', 'cut and held'] as const) {
    it(`answers sendMessage on B within a few seconds while Redis is ${outage}: the send limit does not wait for Redis`, { timeout: 60_000 }, async () => {
      fake.enqueue(text('sent during the outage'));
      proxy.hold(true);
      if (outage === 'cut and held') proxy.cut();
      let sent;
      const started = performance.now();
      try {
        sent = await send(b, token, { text: `send while Redis is ${outage}` });
      } finally {
        proxy.hold(false);
        proxy.cut();
      }
      expect(performance.now() - started).toBeLessThan(MAX_SEND_MS);
      expect(sent.runId).toEqual(expect.any(String));
      await expect.poll(async () => (await readRun(b, token, sent.runId)).status, { timeout: 10_000 }).toMatch(/COMPLETED|FAILED|CANCELLED|INTERRUPTED/);
    });
  }
});

describe('a server started with an unreachable REDIS_URL', () => {
  it('exits with one line naming REDIS_URL and the address, without the password or a stack', async () => {
    const closed = net.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const database = await freshDatabase('embedded');
    try {
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
        cwd: path.resolve(import.meta.dirname, '..'),
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          PORT: '0',
          LOG_LEVEL: 'silent',
          AUTH_SECRET: TEST_SECRET,
          HOST: '127.0.0.1',
          ...database.env,
          REDIS_URL: `redis://someone:hunter2-secret@127.0.0.1:${port}/0`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      let stdout = '';
      child.stderr.on('data', (chunk) => (stderr += chunk));
      child.stdout.on('data', (chunk) => (stdout += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      clearTimeout(timer);
      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const lines = stderr.split('\n').filter((line) => line.trim() !== '');
      expect(lines).toEqual([`Cannot start: REDIS_URL: cannot reach redis://127.0.0.1:${port}/0 (ECONNREFUSED)`]);
      expect(stdout + stderr).not.toContain('hunter2');
    } finally {
      await database.drop();
    }
  });
});
