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
 */
import { EventEmitter } from 'node:events';
import type { PGlite } from '@electric-sql/pglite';

type Callback<T> = (error: Error | null, value?: T) => void;

interface PgResult {
  rows: unknown[];
  rowCount: number;
  command: string;
  fields: { name: string; dataTypeID: number }[];
}

class PgliteConnection extends EventEmitter {
  constructor(private readonly db: PGlite) {
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

/** Builds the `{ Pool }` module shape that TypeORM's postgres driver expects. */
export function pgliteDriver(db: PGlite) {
  const connection = new PgliteConnection(db);
  let tail: Promise<void> = Promise.resolve();

  class Pool extends EventEmitter {
    connect(callback: (error: Error | null, conn?: PgliteConnection, release?: () => void) => void): void {
      let release!: () => void;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      const previous = tail;
      tail = tail.then(() => held);
      void previous.then(() => {
        let released = false;
        callback(null, connection, () => {
          if (released) return;
          released = true;
          release();
        });
      });
    }

    end(callback?: (error?: Error) => void): void {
      callback?.();
    }
  }

  return { Pool };
}
