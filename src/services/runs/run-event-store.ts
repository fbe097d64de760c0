/**
 * The database side of run events. One tick of the flusher is one
 * statement: the events of every active run, the progress of runs that
 * started an LLM call, and for runs that end in that tick their final row
 * (with last_seq), message and conversation, all
 * atomic, so a client that sees a terminal event can rely on all of them.
 * While a run is active its last seq is that of its newest stored event.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { RunStatus, StoredStep } from '../../entities/index.js';
import { fromRow, toRow, type RunStreamEvent } from './run-event.js';
import { ACTIVE_STATUSES_SQL, isActiveStatus, type RunFinal, type RunProgress } from './run-ending.js';

type EventRow = Parameters<typeof fromRow>[0];

/** Events per replay read: a shorter page is the last one stored. */
export const REPLAY_PAGE = 1000;

export class RunEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * Writes events, the finals of the runs that end with them and the
   * progress of active runs in one statement (atomic), on `db` (the data
   * source, or a caller's transaction). Every final's terminal event is among `events`.
   */
  async write(db: EntityManager | DataSource, events: RunStreamEvent[], finals: RunFinal[], progress: RunProgress[] = []): Promise<void> {
    if (events.length === 0 && progress.length === 0) return;
    // Most ticks only add events: the plain INSERT costs half of planning the whole statement.
    if (finals.length === 0 && progress.length === 0) {
      await db.query(INSERT_EVENTS, [JSON.stringify(events.map(toRow))]);
      return;
    }
    await db.query(TICK_SQL, [
      JSON.stringify(events.map(toRow)),
      JSON.stringify(finals.map(finalRow)),
      JSON.stringify(progress.map((p) => ({ run_id: p.runId, iterations: p.iterations, usage: p.usage }))),
    ]);
  }

  /**
   * The start of a follow, in one statement and one snapshot: whether the
   * viewer's run exists, whether it is still active, and its first page of
   * events after `after`. An inactive run's events are all stored already.
   */
  async openFollow(
    runId: string,
    userId: string,
    after: number,
    limit = REPLAY_PAGE,
  ): Promise<{ active: boolean; events: RunStreamEvent[] } | undefined> {
    const rows: (Partial<EventRow> & { status: RunStatus })[] = await this.dataSource.query(
      `SELECT r.status, e.run_id, e.seq, e.type, e.step_id, e.step_index, e.payload
       FROM runs r LEFT JOIN LATERAL (
         SELECT run_id, seq, type, step_id, step_index, payload FROM run_events
         WHERE run_id = r.id AND seq > $3 ORDER BY seq LIMIT $4
       ) e ON true
       WHERE r.id = $1 AND r.user_id = $2
       ORDER BY e.seq`,
      [runId, userId, after, limit],
    );
    const [first] = rows;
    if (!first) return undefined;
    return {
      active: isActiveStatus(first.status),
      events: rows.filter((row) => row.seq != null).map((row) => fromRow(row as EventRow)),
    };
  }

  /** The seq of an active run's newest stored event (0: none yet); undefined once the run has ended. */
  async activeTail(runId: string): Promise<number | undefined> {
    const [row]: { seq: number | null }[] = await this.dataSource.query(
      `SELECT (SELECT max(seq) FROM run_events WHERE run_id = r.id) AS seq FROM runs r
       WHERE r.id = $1 AND r.status IN ${ACTIVE_STATUSES_SQL}`,
      [runId],
    );
    return row && (row.seq ?? 0);
  }

  /** Events with seq > after, oldest first, at most `limit`. */
  async readAfter(runId: string, after: number, limit = REPLAY_PAGE): Promise<RunStreamEvent[]> {
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events
       WHERE run_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [runId, after, limit],
    );
    return rows.map(fromRow);
  }

  /** The text of a thinking or text step before event `beforeSeq` (a follower joining mid-step). */
  async stepPrefix(runId: string, stepId: string, beforeSeq: number): Promise<string> {
    const rows: { prefix: string | null }[] = await this.dataSource.query(
      `SELECT string_agg(payload->>'delta', '' ORDER BY seq) AS prefix FROM run_events
       WHERE run_id = $1 AND step_id = $2 AND seq < $3`,
      [runId, stepId, beforeSeq],
    );
    return rows[0]?.prefix ?? '';
  }

  /**
   * Active runs as far as they are stored, from one read: their coalesced
   * steps (the partial answer) and the seq of the newest step event, which
   * is their lastSeq. One snapshot for both, so a page that renders the
   * steps and resumes after that seq gets every later token exactly once.
   */
  async liveState(runIds: readonly string[]): Promise<Map<string, LiveRunState>> {
    const result = new Map<string, LiveRunState>(runIds.map((id) => [id, { steps: [], lastSeq: 0 }]));
    if (runIds.length === 0) return result;
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events
       WHERE run_id = ANY($1::uuid[]) AND type IN ('thinking', 'text', 'tool_call', 'tool_result')
       ORDER BY run_id, seq`,
      [runIds],
    );
    for (const row of rows) {
      const state = result.get(row.run_id);
      if (!state) continue;
      foldInto(state.steps, fromRow(row));
      state.lastSeq = row.seq;
    }
    return result;
  }
}

export interface LiveRunState {
  steps: StoredStep[];
  lastSeq: number;
}

/** Applies one event to a list of coalesced steps. */
export function foldInto(steps: StoredStep[], event: RunStreamEvent): void {
  switch (event.type) {
    case 'thinking':
    case 'text': {
      const existing = steps[event.index];
      if (existing && existing.id === event.stepId && 'content' in existing && existing.type === event.type) {
        existing.content += event.delta;
        existing.seq = event.seq;
      } else {
        steps[event.index] = { type: event.type, id: event.stepId, index: event.index, seq: event.seq, content: event.delta };
      }
      return;
    }
    case 'tool_call':
    case 'tool_result': {
      // The event's fields are the step's, under their stored names.
      const { runId: _runId, stepId, ...step } = event;
      steps[event.index] = { ...step, id: stepId };
      return;
    }
    default:
      return;
  }
}

function finalRow(final: RunFinal) {
  return {
    run_id: final.runId,
    conversation_id: final.conversationId,
    assistant_message_id: final.assistantMessageId,
    remove_message: final.removeMessage,
    status: final.status,
    error_code: final.errorCode,
    error_message: final.errorMessage,
    usage: final.usage,
    iterations: final.iterations,
    text: final.text,
    steps: final.steps,
    token_count: final.tokenCount,
  };
}

// Three JSON parameters carry every row: one statement, whatever the count.
// A row may not be changed twice in one statement: each table's sub-statements touch disjoint rows
// (a run's progress is never in the tick of its final).
const INSERT_EVENTS = `
    INSERT INTO run_events (run_id, seq, type, step_id, step_index, payload)
    SELECT run_id, seq, type, step_id, step_index, payload
    FROM jsonb_to_recordset($1::jsonb) AS e(run_id uuid, seq int, type text, step_id uuid, step_index int, payload jsonb)`;
const TICK_SQL = `
  WITH inserted AS (${INSERT_EVENTS}
    RETURNING run_id, seq
  ),
  newest AS (SELECT run_id, max(seq) AS seq FROM inserted GROUP BY run_id),
  finals AS (
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS f(
      run_id uuid, conversation_id uuid, assistant_message_id uuid, remove_message boolean, status text,
      error_code text, error_message text, usage jsonb, iterations int, text text, steps jsonb, token_count int)
  ),
  -- Only runs that end are touched here: an active run's last seq is read from its events
  -- (an UPDATE of every active run's row on every tick cost more than the INSERT itself).
  runs_written AS (
    UPDATE runs SET
      last_seq = GREATEST(runs.last_seq, newest.seq),
      status = finals.status,
      error_code = finals.error_code,
      error_message = finals.error_message,
      usage = COALESCE(finals.usage, runs.usage),
      iterations = COALESCE(finals.iterations, runs.iterations),
      finished_at = clock_timestamp(),
      assistant_message_id = CASE WHEN finals.remove_message THEN NULL ELSE runs.assistant_message_id END
    FROM finals JOIN newest ON newest.run_id = finals.run_id
    WHERE runs.id = finals.run_id
    RETURNING runs.id
  ),
  -- An active run's progress (never in the same tick as its final): the first one marks it RUNNING.
  runs_progressed AS (
    UPDATE runs SET
      status = CASE WHEN runs.status = 'QUEUED' THEN 'RUNNING' ELSE runs.status END,
      iterations = p.iterations,
      usage = p.usage
    FROM jsonb_to_recordset($3::jsonb) AS p(run_id uuid, iterations int, usage jsonb)
    WHERE runs.id = p.run_id AND runs.status IN ${ACTIVE_STATUSES_SQL}
    RETURNING runs.id
  ),
  messages_written AS (
    UPDATE messages SET text = finals.text, steps = finals.steps, token_count = finals.token_count, usage = finals.usage
    FROM finals WHERE messages.id = finals.assistant_message_id AND NOT finals.remove_message
    RETURNING messages.id
  ),
  messages_removed AS (
    DELETE FROM messages USING finals WHERE messages.id = finals.assistant_message_id AND finals.remove_message
    RETURNING messages.id
  ),
  conversations_touched AS (
    UPDATE conversations SET updated_at = clock_timestamp() FROM finals WHERE conversations.id = finals.conversation_id
    RETURNING conversations.id
  )
  SELECT (SELECT count(*) FROM runs_written) AS runs`;

