/**
 * At most N runs execute at once on an instance; the others wait, QUEUED,
 * first come first served. A waiting run that is cancelled leaves the queue.
 * (A dozen lines; the queue libraries do not let a waiter abort.)
 */
export class RunSlots {
  private free: number;
  private readonly waiting: { resolve: () => void; signal: AbortSignal }[] = [];

  constructor(size: number) {
    this.free = size;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects if `signal` aborts first. */
  acquire(signal: AbortSignal): Promise<() => void> {
    const release = () => {
      const next = this.waiting.shift();
      if (next) next.resolve();
      else this.free++;
    };
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(once(release));
    }
    return new Promise((resolve, reject) => {
      const waiter = { resolve: () => resolve(once(release)), signal };
      this.waiting.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          const at = this.waiting.indexOf(waiter);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            reject(signal.reason ?? new Error('aborted'));
          }
        },
        { once: true },
      );
    });
  }
}

function once(fn: () => void): () => void {
  let called = false;
  return () => {
    if (!called) {
      called = true;
      fn();
    }
  };
}
