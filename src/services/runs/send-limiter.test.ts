import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateLimitedError } from '../errors.js';
import { SendLimiter } from './send-limiter.js';

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** A Redis connection as the limiter sees it: its status, and a count command that never answers. */
function silentRedis(status: string): Redis {
  return { status, defineCommand: () => undefined, rlflxIncr: () => new Promise(() => {}) } as unknown as Redis;
}

describe('SendLimiter', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('admits perMinute sends a user, then refuses with RATE_LIMITED and when to retry', async () => {
    const limiter = new SendLimiter({ perMinute: 3 });
    for (let i = 0; i < 3; i++) await limiter.take('u');
    const error = await refusal(limiter.take('u'));
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({ code: 'RATE_LIMITED', message: 'At most 3 messages a minute; try again shortly.' });
    const retryAfterMs = (error as RateLimitedError).extensions.retryAfterMs as number;
    expect(retryAfterMs).toBeGreaterThan(59_000);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    // Another user has a count of their own.
    await limiter.take('v');
  });

  it('gives a send back, and refused sends do not count', async () => {
    const limiter = new SendLimiter({ perMinute: 2 });
    const first = await limiter.take('u');
    await limiter.take('u');
    for (let i = 0; i < 3; i++) expect(await refusal(limiter.take('u'))).toBeInstanceOf(RateLimitedError);
    limiter.giveBack('u', first);
    await limiter.take('u');
    expect(await refusal(limiter.take('u'))).toBeInstanceOf(RateLimitedError);
  });

  it('opens a new window a minute after the first send; a send given back after its window frees nothing', async () => {
    vi.useFakeTimers();
    const limiter = new SendLimiter({ perMinute: 1 });
    const old = await limiter.take('u');
    vi.advanceTimersByTime(30_000);
    expect((await refusal(limiter.take('u'))) as RateLimitedError).toMatchObject({ extensions: { retryAfterMs: 30_000 } });
    vi.advanceTimersByTime(30_000);
    await limiter.take('u');
    limiter.giveBack('u', old);
    expect(await refusal(limiter.take('u'))).toBeInstanceOf(RateLimitedError);
  });

  it('counts in memory at once while the Redis connection is not ready', async () => {
    const limiter = new SendLimiter({ perMinute: 1, redis: { client: silentRedis('reconnecting'), prefix: 't:' } });
    await limiter.take('u');
    expect(await refusal(limiter.take('u'))).toBeInstanceOf(RateLimitedError);
  });

  it('counts in memory after a second when Redis does not answer', async () => {
    vi.useFakeTimers();
    const limiter = new SendLimiter({ perMinute: 1, redis: { client: silentRedis('ready'), prefix: 't:' } });
    const taking = limiter.take('u');
    await vi.advanceTimersByTimeAsync(1_000);
    await taking;
    const refused = refusal(limiter.take('u'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await refused).toBeInstanceOf(RateLimitedError);
  });
});
