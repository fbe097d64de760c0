/**
 * What GET /health says about the database: a `SELECT 1` with a short
 * timeout, its answer reused for a second so that a load balancer polling
 * under load costs one query a second, not one per request. A connection
 * the pool loses (PostgreSQL gone, a proxy cut) marks the database down at
 * once, until the next check succeeds.
 */
import type { EventEmitter } from 'node:events';
import type { DataSource } from 'typeorm';

export interface DatabaseHealthOptions {
  /** How long an answer is reused. */
  cacheMs?: number;
  /** A check that takes longer counts as down (a hung connection, a dropped packet). */
  timeoutMs?: number;
}

interface PooledClient {
  query(sql: string): Promise<unknown>;
}

/** What the health check uses of a pg Pool. */
interface PoolLike {
  on(event: 'error', listener: (error: Error) => void): unknown;
  connect(callback: (error: Error | null | undefined, client?: PooledClient, done?: (error?: Error) => void) => void): void;
}

/** Resolves true while the database answers; never rejects. */
export type DatabaseHealth = () => Promise<boolean>;

export function databaseHealth(dataSource: DataSource, options: DatabaseHealthOptions = {}): DatabaseHealth {
  const cacheMs = options.cacheMs ?? 1_000;
  const timeoutMs = options.timeoutMs ?? 2_000;
  let last: { at: number; up: boolean } | undefined;
  let checking: Promise<boolean> | undefined;
  // A check still connecting after its timeout: no second one is started beside it (each would hold a
  // slot of the pool while the database does not answer); the database counts as down meanwhile.
  let stuck = false;

  // TypeORM's postgres driver keeps its pool as `master` (a pg Pool, or the embedded database's
  // stand-in with the same callback API); a pg Pool emits 'error' when an idle connection dies.
  const pool = (dataSource.driver as { master?: Partial<PoolLike> }).master;
  pool?.on?.('error', () => {
    last = { at: Date.now(), up: false };
  });

  /** SELECT 1 on a pooled connection; one that does not answer in time is destroyed, not returned to the pool. */
  async function selectOne(): Promise<boolean> {
    if (typeof pool?.connect !== 'function') return dataSource.query('SELECT 1').then(() => true);
    // The callback form: the embedded database's pool has no promise form.
    const { client, done } = await new Promise<{ client: PooledClient; done: (error?: Error) => void }>((resolve, reject) =>
      pool.connect!((error, client, done) => (error || !client ? reject(error) : resolve({ client, done: done! }))),
    );
    let released = false;
    // pg destroys a connection released with an error instead of pooling it.
    const release = (error?: Error) => {
      if (!released) done(error);
      released = true;
    };
    const timer = setTimeout(() => release(new Error('health check timed out')), timeoutMs);
    try {
      await client.query('SELECT 1');
      release();
      return true;
    } catch (error) {
      release(error as Error);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async function check(): Promise<boolean> {
    if (stuck) return false;
    stuck = true;
    const attempt = selectOne().catch(() => false);
    void attempt.finally(() => (stuck = false));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([attempt, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  return () => {
    if (last && Date.now() - last.at < cacheMs) return Promise.resolve(last.up);
    checking ??= check().then((up) => {
      last = { at: Date.now(), up };
      checking = undefined;
      return up;
    });
    return checking;
  };
}
