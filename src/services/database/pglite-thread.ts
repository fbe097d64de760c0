/**
 * PGlite on a worker thread. The embedded database's WASM and file system
 * work was a third of the server's CPU under load, on the same thread as
 * every stream and subscriber; here it runs beside them, and a write no
 * longer waits for the event loop to come back to it. Hand-written because
 * PGlite's own worker mode is built on the browser's Worker and locks.
 */
import { Worker } from 'node:worker_threads';

export interface QueryResult {
  rows: unknown[];
  affectedRows?: number;
  fields: { name: string; dataTypeID: number }[];
}

/** What the pg-compatible pool needs of the database. */
export interface QueryTarget {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
}

type Pending = { resolve: (result: QueryResult) => void; reject: (error: Error) => void };

/** A database error rebuilt with its fields (code, constraint, detail, ...), as `pg` throws them. */
function rebuiltError(fields: Record<string, unknown>): Error {
  return Object.assign(new Error(String(fields.message)), fields);
}

export class PgliteThread implements QueryTarget {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure?: Error;

  private constructor(private readonly worker: Worker) {
    worker.on('message', (message: { id?: number; result?: QueryResult; error?: Record<string, unknown> }) => {
      if (message.id === undefined) return;
      const waiting = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) waiting?.reject(rebuiltError(message.error));
      else waiting?.resolve(message.result!);
    });
    const fail = (error: Error) => {
      this.failure ??= error;
      for (const waiting of this.pending.values()) waiting.reject(error);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('messageerror', fail);
    worker.on('exit', (code) => fail(new Error(`the database thread exited (${code})`)));
  }

  /** Starts the thread and opens the database under `dataDir`. */
  static async open(dataDir: string): Promise<PgliteThread> {
    const worker = new Worker(new URL('./pglite-worker.mjs', import.meta.url), { workerData: { dataDir } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: { ready?: boolean; fatal?: Record<string, unknown> }) => {
        if (message.ready) resolve();
        else if (message.fatal) reject(rebuiltError(message.fatal));
        else return;
        worker.off('message', onMessage);
        worker.off('error', reject);
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the database thread exited (${code}) while opening`)));
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    return new PgliteThread(worker);
  }

  query(sql: string, params?: unknown[]): Promise<QueryResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.worker.postMessage({ id, sql, params });
      } catch (error) {
        // A parameter that cannot cross to the thread (a function, a symbol).
        this.pending.delete(id);
        reject(error as Error);
      }
    });
  }

  /** Closes the database (its files are consistent after) and ends the thread. */
  async close(): Promise<void> {
    if (!this.failure) {
      await new Promise<void>((resolve) => {
        const onMessage = (message: { closed?: boolean }) => {
          if (!message.closed) return;
          this.worker.off('message', onMessage);
          resolve();
        };
        this.worker.on('message', onMessage);
        this.worker.once('exit', () => resolve());
        this.worker.postMessage({ close: true });
      });
    }
    await this.worker.terminate();
  }
}
