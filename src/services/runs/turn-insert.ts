/**
 * A turn in one statement: the refusal checks (conversation busy, too many
 * active runs, no provider), the conversation (created, or the viewer's own
 * touched), the user message, the empty assistant message and the QUEUED
 * run. One statement is atomic by itself, so a plain send needs no
 * transaction; it was six statements, the largest fixed cost of a run on
 * the embedded database. The partial unique index still has the last word
 * on a busy conversation (two sends racing): that is a 23505. The first
 * message of a conversation without a title gives it its first line as one.
 */
import type { DataSource, EntityManager } from 'typeorm';
import { Conversation, Message, Run, type TitleSource } from '../../entities/index.js';
import { ACTIVE_STATUSES_SQL } from './run-ending.js';

export interface TurnInput {
  userId: string;
  /** The conversation to add to, or the id of the one to create. */
  conversationId: string;
  newConversation: boolean;
  /** The title the conversation gets if this is its first message and it has none (its first line). */
  title: string;
  runId: string;
  userMessageId: string;
  assistantMessageId: string;
  text: string;
  enabledTools: string[];
  /** Replaces the conversation's setting for this run when given. */
  thinkingEnabled: boolean | null;
  clientMutationId: string | null;
  ownerInstance: string;
  activeRunsPerUser: number;
  /** A default provider exists for conversations without one. */
  hasDefaultProvider: boolean;
}

export type TurnOutcome =
  | { kind: 'not-found' | 'busy' | 'too-many-active' | 'no-provider' }
  | { kind: 'stored'; conversation: Conversation; run: Run; userMessage: Message; firstLineTitled: boolean };

// Every write is gated by `ok`; data-modifying CTEs run whether or not the final SELECT reads them.
const TURN_SQL = `
  WITH gate AS (
    SELECT count(*) FILTER (WHERE conversation_id = $2)::int AS busy, count(*)::int AS active
    FROM runs WHERE user_id = $1 AND status IN ${ACTIVE_STATUSES_SQL}
  ),
  existing AS (
    SELECT * FROM conversations WHERE id = $2 AND user_id = $1 AND NOT $3
  ),
  ok AS (
    SELECT 1 FROM gate
    WHERE gate.busy = 0 AND gate.active < $13
      AND ($3 OR EXISTS (SELECT 1 FROM existing))
      AND ($14 OR EXISTS (SELECT 1 FROM existing WHERE provider_id IS NOT NULL))
  ),
  -- A conversation made without a title (createConversation) takes the first line of its first message.
  untitled AS (
    SELECT 1 FROM existing
    WHERE existing.title IS NULL AND existing.title_source IS NULL
      AND NOT EXISTS (SELECT 1 FROM messages WHERE conversation_id = $2)
  ),
  created AS (
    INSERT INTO conversations (id, user_id, title, title_source)
    SELECT $2, $1, $4, 'first-line' FROM ok WHERE $3
    RETURNING *
  ),
  conv AS (SELECT * FROM existing UNION ALL SELECT * FROM created),
  -- Rows in order: the user message takes the smaller position.
  msgs AS (
    INSERT INTO messages (id, conversation_id, user_id, run_id, role, text)
    SELECT v.id, $2, $1, $5, v.role, v.text
    FROM ok, (VALUES (1, $6::uuid, 'user', $8::text), (2, $7::uuid, 'assistant', '')) AS v(n, id, role, text)
    ORDER BY v.n
    RETURNING id, position, created_at
  ),
  run AS (
    INSERT INTO runs (id, conversation_id, user_id, user_message_id, assistant_message_id, status, enabled_tools,
      thinking_enabled, client_mutation_id, owner_instance, heartbeat_at)
    SELECT $5, $2, $1, $6, $7, 'QUEUED', $9::jsonb, COALESCE($10, conv.thinking_enabled), $11, $12, clock_timestamp()
    FROM ok, conv
    RETURNING started_at, thinking_enabled
  ),
  touched AS (
    UPDATE conversations SET updated_at = clock_timestamp(),
      title = CASE WHEN EXISTS (SELECT 1 FROM untitled) THEN $4 ELSE conversations.title END,
      title_source = CASE WHEN EXISTS (SELECT 1 FROM untitled) THEN 'first-line' ELSE conversations.title_source END
    FROM ok WHERE conversations.id = $2 AND conversations.user_id = $1 AND NOT $3
    RETURNING updated_at, title, title_source
  )
  SELECT gate.busy, gate.active, EXISTS (SELECT 1 FROM ok) AS ok,
    c.id, c.user_id, c.system_prompt, c.provider_id, c.model, c.temperature, c.thinking_enabled, c.created_at,
    COALESCE((SELECT updated_at FROM touched), c.updated_at) AS updated_at,
    CASE WHEN EXISTS (SELECT 1 FROM touched) THEN (SELECT title FROM touched) ELSE c.title END AS title,
    CASE WHEN EXISTS (SELECT 1 FROM touched) THEN (SELECT title_source FROM touched) ELSE c.title_source END AS title_source,
    EXISTS (SELECT 1 FROM created) OR (EXISTS (SELECT 1 FROM untitled) AND EXISTS (SELECT 1 FROM touched)) AS first_line_titled,
    (SELECT started_at FROM run) AS started_at, (SELECT thinking_enabled FROM run) AS run_thinking_enabled,
    (SELECT position FROM msgs WHERE id = $6) AS user_position, (SELECT created_at FROM msgs WHERE id = $6) AS user_created_at
  FROM gate LEFT JOIN conv c ON true`;

interface TurnRow {
  busy: number;
  active: number;
  ok: boolean;
  id: string | null;
  user_id: string;
  title: string | null;
  title_source: TitleSource | null;
  first_line_titled: boolean;
  system_prompt: string | null;
  provider_id: string | null;
  model: string | null;
  temperature: number | null;
  thinking_enabled: boolean;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  run_thinking_enabled: boolean;
  user_position: string;
  user_created_at: Date;
}

export async function insertTurn(db: DataSource | EntityManager, input: TurnInput): Promise<TurnOutcome> {
  const [row]: TurnRow[] = await db.query(TURN_SQL, [
    input.userId,
    input.conversationId,
    input.newConversation,
    input.title,
    input.runId,
    input.userMessageId,
    input.assistantMessageId,
    input.text,
    JSON.stringify(input.enabledTools),
    input.thinkingEnabled,
    input.clientMutationId,
    input.ownerInstance,
    input.activeRunsPerUser,
    input.hasDefaultProvider,
  ]);
  if (!row?.ok || !row.id || !row.started_at) {
    // In the order a client would want to hear them: a missing conversation first.
    if (!input.newConversation && !row?.id) return { kind: 'not-found' };
    if (row && row.busy > 0) return { kind: 'busy' };
    if (row && row.active >= input.activeRunsPerUser) return { kind: 'too-many-active' };
    return { kind: 'no-provider' };
  }
  return { kind: 'stored', firstLineTitled: row.first_line_titled, ...storedRows(input, { ...row, id: row.id, started_at: row.started_at }) };
}

/** The rows the statement stored, as entities: what it was given, and what the database chose. */
function storedRows(input: TurnInput, row: TurnRow & { id: string; started_at: Date }) {
  const conversation = Object.assign(new Conversation(), {
    id: row.id,
    userId: row.user_id,
    title: row.title,
    titleSource: row.title_source,
    systemPrompt: row.system_prompt,
    providerId: row.provider_id,
    model: row.model,
    temperature: row.temperature,
    thinkingEnabled: row.thinking_enabled,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  });
  const { userId, runId, userMessageId, assistantMessageId, enabledTools, clientMutationId, ownerInstance } = input;
  const owned = { conversationId: row.id, userId };
  const userMessage = Object.assign(new Message(), owned, {
    id: userMessageId, runId, role: 'user' as const, text: input.text, steps: [], tokenCount: null, usage: null,
    position: String(row.user_position), createdAt: row.user_created_at,
  });
  const run = Object.assign(new Run(), owned, NEW_RUN, {
    id: runId, userMessageId, assistantMessageId, enabledTools, clientMutationId, ownerInstance,
    thinkingEnabled: row.run_thinking_enabled, heartbeatAt: row.started_at, startedAt: row.started_at,
  });
  return { conversation, userMessage, run };
}

/** A run's columns before it has done anything. */
const NEW_RUN = {
  status: 'QUEUED',
  iterations: 0,
  usage: null,
  errorCode: null,
  errorMessage: null,
  lastSeq: 0,
  finishedAt: null,
} as const satisfies Partial<Run>;
