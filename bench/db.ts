/**
 * Direct access to the server's database once the server has stopped (its
 * embedded PostgreSQL started again on the same DATA_DIR) or beside it
 * (DATABASE_URL): counts
 * of the flusher's INSERT statements, and the 100,000-event run for the
 * replay measurement.
 */
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/services/database/embedded-postgres.js';

export interface BenchDb {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export async function openDb(options: { databaseUrl?: string; dataDir: string }): Promise<BenchDb> {
  const cluster = options.databaseUrl ? undefined : await startEmbeddedPostgres(options.dataDir);
  const client = new pg.Client({ connectionString: options.databaseUrl ?? cluster!.url });
  await client.connect();
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[],
    close: async () => {
      await client.end();
      await cluster?.stop();
    },
  };
}

/** The row id behind a Run's global id (base64 of "Run:<uuid>"). */
export const runRowId = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').replace(/^Run:/, '');

export interface WriteCounts {
  /** INSERT INTO run_events statements: one per flusher tick that wrote, each tick's rows share created_at = now(). */
  inserts: number;
  events: number;
  runs: number;
}

export async function writeCounts(db: BenchDb, runIds: string[]): Promise<WriteCounts> {
  if (runIds.length === 0) return { inserts: 0, events: 0, runs: 0 };
  const [row] = await db.query<{ inserts: number; events: number; runs: number }>(
    `SELECT count(DISTINCT created_at)::int AS inserts, count(*)::int AS events, count(DISTINCT run_id)::int AS runs
     FROM run_events WHERE run_id = ANY($1::uuid[])`,
    [runIds],
  );
  return row!;
}

/**
 * Turns a finished one-token run into a finished run of `total` events: one
 * text step of `total - 1` one-token deltas (the shape FLUSH_INTERVAL_MS=1
 * with a slow provider gives), then its DoneStep, and the run's last_seq to
 * match (replay reads only run_events).
 */
export async function expandRun(db: BenchDb, runId: string, total: number): Promise<void> {
  const rows = await db.query<{ seq: number; type: string; step_id: string; payload: Record<string, unknown> }>(
    `SELECT seq, type, step_id, payload FROM run_events WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  const text = rows.find((r) => r.type === 'text');
  const done = rows.find((r) => r.type === 'done');
  if (!text || !done) throw new Error(`run ${runId} has no text and done events to expand`);
  const deltas = total - 1;
  await db.query(`DELETE FROM run_events WHERE run_id = $1`, [runId]);
  await db.query(
    `INSERT INTO run_events (run_id, seq, type, step_id, step_index, payload)
     SELECT $1::uuid, g, 'text', $2::uuid, 0,
            jsonb_build_object('delta', d, 'offset', sum(length(d)) OVER (ORDER BY g) - length(d))
     FROM (SELECT g, 'w' || (g - 1) || ' ' AS d FROM generate_series(1, $3::int) AS g) AS t`,
    [runId, text.step_id, deltas],
  );
  await db.query(
    `INSERT INTO run_events (run_id, seq, type, step_id, step_index, payload) VALUES ($1, $2, 'done', $3, 1, $4::jsonb)`,
    [runId, total, done.step_id, JSON.stringify({ ...done.payload, tokenCount: deltas })],
  );
  await db.query(`UPDATE runs SET last_seq = $2 WHERE id = $1`, [runId, total]);
}
