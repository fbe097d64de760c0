/**
 * A pg-compatible pool over one embedded PGlite instance, for TypeORM's
 * `driver` option.
 *
 * Hand-written because no kept library does this safely: the community
 * `typeorm-pglite` driver loses committed rows under two concurrent
 * transactions. PGlite is a single session, so the pool hands out one
 * connection at a time: each `connect` waits for the previous holder's
 * `release`, which serialises transactions the way PostgreSQL isolates them.
 * Code must therefore never hold a query runner while asking for another.
 * Waiters are served first come first served, except urgent ones (the
 * flusher), which go to the front.
 */
import { EventEmitter } from 'node:events';
import type { QueryTarget } from './pglite-thread.js';

type Callback<T> = (error: Error | null, value?: T) => void;

interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: { name: string; dataTypeID: number }[];
}

class PgliteConnection extends EventEmitter {
  constructor(private readonly db: QueryTarget) {
    super();
  }

  query(sql: string, params?: unknown[] | Callback<PgResult>, callback?: Callback<PgResult>): Promise<PgResult> | void {
    const cb = typeof params === 'function' ? params : callback;
    const values = Array.isArray(params) ? params : undefined;
    const promise = this.db.query(sql, values).then((r) => ({
      rows: r.rows,
      rowCount: r.affectedRows ?? r.rows.length,
      command: sql.trimStart().slice(0, 6).toUpperCase(),
      fields: r.fields,
    }));
    if (!cb) return promise;
    promise.then((r) => cb(null, r), (e: Error) => cb(e));
  }
}

let nextIsUrgent = false;

/**
 * Calls `connect`, whose connection request goes ahead of the queue: on the
 * embedded database connections are taken one at a time, and the flusher's
 * write must not wait behind a burst of other requests (it is what clients
 * are waiting to see). It never interrupts a transaction that holds the
 * connection. `connect` must ask for the connection synchronously (TypeORM's
 * QueryRunner.connect does). A flag rather than AsyncLocalStorage, which
 * would put a hook on every promise of the process.
 */
export function connectUrgently<T>(connect: () => T): T {
  nextIsUrgent = true;
  try {
    return connect();
  } finally {
    nextIsUrgent = false;
  }
}

/** Builds the `{ Pool }` module shape that TypeORM's postgres driver expects. */
export function pgliteDriver(db: QueryTarget) {
  const connection = new PgliteConnection(db);
  const waiting: (() => void)[] = [];
  let held = false;

  const hand = (callback: (error: Error | null, conn?: PgliteConnection, release?: () => void) => void) => {
    held = true;
    let released = false;
    callback(null, connection, () => {
      if (released) return;
      released = true;
      const next = waiting.shift();
      if (next) next();
      else held = false;
    });
  };

  class Pool extends EventEmitter {
    connect(callback: (error: Error | null, conn?: PgliteConnection, release?: () => void) => void): void {
      const urgent = nextIsUrgent;
      nextIsUrgent = false;
      if (!held) return hand(callback);
      const waiter = () => hand(callback);
      if (urgent) waiting.unshift(waiter);
      else waiting.push(waiter);
    }

    end(callback?: (error?: Error) => void): void {
      callback?.();
    }
  }

  return { Pool };
}
