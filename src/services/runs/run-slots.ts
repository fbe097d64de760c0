/**
 * At most N runs execute at once on an instance; the others wait, QUEUED.
 * Slots are shared fairly between users: a freed slot goes to the waiting
 * user with the fewest runs executing, and among equals to the one served
 * longest ago (a user never served first: round robin), each user's runs
 * first come first served. So a user who fills every slot with slow runs cannot keep another
 * user waiting for more than one slot's turnover. A waiting run that is
 * cancelled leaves the queue.
 *
 * Hand-written because the order is decided when a slot frees, from the
 * users' runs executing then. p-queue (8.x) does drop a waiter whose
 * AbortSignal aborts, but it orders waiters by a priority fixed when they
 * are added (setPriority must be called again for each one), so every grant
 * would re-rank all waiters from here, and its slot is held by a task's
 * promise rather than a release function: the fair picker would stay and
 * the adapter would grow. p-limit has neither abort nor priority.
 */
interface Waiter {
  grant: () => void;
}

export class RunSlots {
  private free: number;
  /** Runs executing per user. */
  private readonly executing = new Map<string, number>();
  /** Waiting runs per user. */
  private readonly waiting = new Map<string, Waiter[]>();
  private waitingCount = 0;
  /** When each user with runs executing or waiting was last granted a slot (a counter, not a clock). */
  private readonly servedAt = new Map<string, number>();
  private grants = 0;

  constructor(size: number) {
    this.free = size;
  }

  get queued(): number {
    return this.waitingCount;
  }

  /** Resolves with a release function once a slot is granted to `userId`; rejects if `signal` aborts first. */
  acquire(userId: string, signal: AbortSignal): Promise<() => void> {
    // An abort listener added now would never fire: refuse at once, as fetch does.
    if (signal.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    if (this.free > 0 && this.waitingCount === 0) {
      this.free--;
      return Promise.resolve(this.take(userId));
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { grant: () => resolve(this.take(userId)) };
      const queue = this.waiting.get(userId) ?? [];
      queue.push(waiter);
      this.waiting.set(userId, queue);
      this.waitingCount++;
      signal.addEventListener(
        'abort',
        () => {
          if (!this.remove(userId, waiter)) return;
          if (!this.executing.has(userId) && !this.waiting.has(userId)) this.servedAt.delete(userId);
          reject(signal.reason ?? new Error('aborted'));
        },
        { once: true },
      );
      // A slot may be free while others wait (a waiter just aborted): serve now.
      this.serve();
    });
  }

  /** Counts a granted slot against its user; the release gives it back once. */
  private take(userId: string): () => void {
    this.executing.set(userId, (this.executing.get(userId) ?? 0) + 1);
    this.servedAt.set(userId, ++this.grants);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.executing.get(userId) ?? 1) - 1;
      if (left > 0) this.executing.set(userId, left);
      else {
        this.executing.delete(userId);
        if (!this.waiting.has(userId)) this.servedAt.delete(userId);
      }
      this.free++;
      this.serve();
    };
  }

  /** Grants free slots to the fairest waiters. */
  private serve(): void {
    while (this.free > 0 && this.waitingCount > 0) {
      const userId = this.nextUser();
      const queue = this.waiting.get(userId)!;
      const waiter = queue.shift()!;
      if (queue.length === 0) this.waiting.delete(userId);
      this.waitingCount--;
      this.free--;
      waiter.grant();
    }
  }

  /** The waiting user with the fewest runs executing; among equals, the one served longest ago. */
  private nextUser(): string {
    let best: string | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    let oldest = Number.POSITIVE_INFINITY;
    for (const userId of this.waiting.keys()) {
      const executing = this.executing.get(userId) ?? 0;
      const served = this.servedAt.get(userId) ?? 0;
      if (executing < fewest || (executing === fewest && served < oldest)) {
        best = userId;
        fewest = executing;
        oldest = served;
      }
    }
    return best!;
  }

  private remove(userId: string, waiter: Waiter): boolean {
    const queue = this.waiting.get(userId);
    const at = queue?.indexOf(waiter) ?? -1;
    if (!queue || at < 0) return false;
    queue.splice(at, 1);
    if (queue.length === 0) this.waiting.delete(userId);
    this.waitingCount--;
    return true;
  }
}
