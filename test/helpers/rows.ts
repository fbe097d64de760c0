/**
 * Direct row access for tests: decode global ids, read stored rows, and
 * insert messages and runs by SQL where no mutation makes them (yet).
 */
import crypto from 'node:crypto';
import { parseGlobalId, toGlobalId, type NodeTypename } from '../../src/resolvers/ids.js';
import type { TestServer } from './server.js';

/** The row id behind one of our global ids (throws if it is not one). */
export function rowIdOf(globalId: string): string {
  const parsed = parseGlobalId(globalId);
  if (!parsed) throw new Error(`not a global id: ${globalId}`);
  return parsed.id;
}

/** A well-formed global id of `typename` for a row that does not exist. */
export const unknownId = (typename: NodeTypename) => toGlobalId(typename, crypto.randomUUID());

export const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

export async function sql<T = Record<string, any>>(server: TestServer, query: string, params: unknown[] = []): Promise<T[]> {
  return server.app.database.dataSource.query(query, params);
}

/** The one row a query must return (throws if it returns none). */
export async function sqlRow<T = Record<string, any>>(server: TestServer, query: string, params: unknown[] = []): Promise<T> {
  const [row] = await sql<T>(server, query, params);
  if (row === undefined) throw new Error('the query returned no row');
  return row;
}

/** The users row id of a token subject. */
export async function userRowId(server: TestServer, subject: string): Promise<string> {
  const [row] = await sql<{ id: string }>(server, 'SELECT id FROM users WHERE subject = $1', [subject]);
  if (!row) throw new Error(`no user ${subject}`);
  return row.id;
}

/** Inserts a message row; returns its global id. */
export async function insertMessage(
  server: TestServer,
  values: { conversationId: string; userId: string; role: 'user' | 'assistant'; text: string; runId?: string },
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    server,
    `INSERT INTO messages (conversation_id, user_id, role, text, run_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
    [rowIdOf(values.conversationId), values.userId, values.role, values.text, values.runId ?? null],
  );
  return toGlobalId('Message', row!.id);
}

/** Inserts a finished run answering `userMessageId`; returns its global id. */
export async function insertFinishedRun(
  server: TestServer,
  values: { conversationId: string; userId: string; userMessageId: string },
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    server,
    `INSERT INTO runs (conversation_id, user_id, user_message_id, status, finished_at)
     VALUES ($1, $2, $3, 'COMPLETED', clock_timestamp()) RETURNING id`,
    [rowIdOf(values.conversationId), values.userId, rowIdOf(values.userMessageId)],
  );
  return toGlobalId('Run', row!.id);
}

/** POSTs a GraphQL request and keeps the HTTP status (to assert "never a 500"). */
export async function post(
  server: TestServer,
  query: string,
  variables: Record<string, unknown> = {},
  token: string | null = null,
): Promise<{ status: number; text: string; body: { data?: any; errors?: { message: string; extensions?: Record<string, any> }[] } }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(server.url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) };
}

/**
 * Waits until a killed server's PostgreSQL sessions are gone: a statement it
 * sent just before the kill still runs to its commit in its backend, so what
 * it left behind is known only then.
 */
export async function deadServerSettled(db: { query(sql: string): Promise<{ rows: any[] }> }, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    const [{ n }] = (await db.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'chat-run-server'`,
    )).rows;
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
