/**
 * The per-user sendMessage rate, through rate-limiter-flexible: counted in
 * Redis when the instances share one (so the limit holds across them), in
 * this process otherwise. A window of one minute opens with a user's first
 * send and admits `perMinute` sends; refusals say when it closes.
 *
 * Redis must never make a send wait: while its connection is not ready the
 * count falls back at once to this process's memory, and a command that
 * gets no answer (a connection that looks up but is held) falls back after
 * REDIS_TIMEOUT_MS. The instance then enforces the limit on its own, as
 * without Redis, until Redis answers again.
 */
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, RLWrapperTimeouts, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { RateLimitedError } from '../errors.js';

const WINDOW_SECONDS = 60;
/** Far above a healthy Redis's answer (about a millisecond), far below what a client would wait for a send. */
const REDIS_TIMEOUT_MS = 1_000;

export interface SendLimiterOptions {
  perMinute: number;
  /** A shared Redis connection (its owner connects and closes it) and the prefix of the keys. */
  redis?: { client: Redis; prefix: string };
}

/** The moment a taken send's window closes: giving it back after that would free a send of the next window. */
export type TakenSend = number;

export class SendLimiter {
  private readonly limiter: RateLimiterAbstract | RLWrapperTimeouts;
  private readonly perMinute: number;

  constructor({ perMinute, redis }: SendLimiterOptions) {
    this.perMinute = perMinute;
    const memory = new RateLimiterMemory({ points: perMinute, duration: WINDOW_SECONDS });
    this.limiter = redis
      ? new RLWrapperTimeouts({
          limiter: new RateLimiterRedis({
            storeClient: redis.client,
            keyPrefix: `${redis.prefix}send-rate`,
            points: perMinute,
            duration: WINDOW_SECONDS,
            rejectIfRedisNotReady: true,
            insuranceLimiter: memory,
          }),
          timeoutMs: REDIS_TIMEOUT_MS,
        })
      : memory;
  }

  /** Counts a send for the user, or throws RATE_LIMITED with retryAfterMs. */
  async take(userId: string): Promise<TakenSend> {
    try {
      const taken = await this.limiter.consume(userId);
      return Date.now() + taken.msBeforeNext;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      // A refused send does not count, so that the sends it refused cannot outlast one given back.
      this.giveBack(userId, Date.now() + error.msBeforeNext);
      throw new RateLimitedError(`At most ${this.perMinute} messages a minute; try again shortly.`, error.msBeforeNext);
    }
  }

  /** Forgets a send taken in a window that is still open (it was refused after all). */
  giveBack(userId: string, taken: TakenSend): void {
    if (Date.now() >= taken) return;
    // Without an answer the send stays counted: too strict for one window, never too lax.
    this.limiter.reward(userId).catch(() => undefined);
  }
}
