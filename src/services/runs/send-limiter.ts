/**
 * The per-user sendMessage rate: a sliding one-minute window per user, kept
 * in this process (with several instances each enforces its own share).
 * Refusals say when the next send would be accepted.
 */
import { RateLimitedError } from '../errors.js';

const WINDOW_MS = 60_000;

export class SendLimiter {
  private readonly sends = new Map<string, number[]>();

  constructor(private readonly perMinute: number) {}

  /** Records a send for the user (returning its time), or throws RATE_LIMITED with retryAfterMs. */
  take(userId: string, now = Date.now()): number {
    const recent = (this.sends.get(userId) ?? []).filter((at) => at > now - WINDOW_MS);
    if (recent.length >= this.perMinute) {
      this.sends.set(userId, recent);
      throw new RateLimitedError(
        `At most ${this.perMinute} messages a minute; try again shortly.`,
        recent[0]! + WINDOW_MS - now,
      );
    }
    recent.push(now);
    this.sends.set(userId, recent);
    if (this.sends.size > 100_000) this.prune(now);
    return now;
  }

  /** Forgets a send taken at `at` (it was refused after all). */
  giveBack(userId: string, at: number): void {
    const recent = this.sends.get(userId);
    const index = recent?.indexOf(at) ?? -1;
    if (index >= 0) recent!.splice(index, 1);
  }

  private prune(now: number): void {
    for (const [userId, times] of this.sends) {
      if (times.every((at) => at <= now - WINDOW_MS)) this.sends.delete(userId);
    }
  }
}
