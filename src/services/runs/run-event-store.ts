/**
 * The database side of run events. One tick of the flusher is one
 * statement for the events of every active run (and their runs' last_seq),
 * plus, for runs that end in that tick, their final row and message in the
 * same transaction: a client that sees a terminal event can rely on both.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { RunEventType, StoredStep } from '../../entities/index.js';
import { fromRow, toRow, type RunStreamEvent } from './run-event.js';
import type { RunFinal } from './run-recorder.js';

type EventRow = Parameters<typeof fromRow>[0];

export class RunEventStore {
  constructor(private readonly dataSource: DataSource) {}

  /** Writes a tick's events and endings atomically. */
  async writeTick(events: RunStreamEvent[], finals: RunFinal[]): Promise<void> {
    if (events.length === 0 && finals.length === 0) return;
    if (finals.length === 0) await this.writeWith(this.dataSource, events, finals);
    else await this.dataSource.transaction((manager) => this.writeWith(manager, events, finals));
  }

  /** The same writes inside a caller's transaction (the sweep's). */
  async writeWith(manager: EntityManager | DataSource, events: RunStreamEvent[], finals: RunFinal[]): Promise<void> {
    if (events.length > 0) await insertEvents(manager, events);
    for (const final of finals) await writeFinal(manager, final);
  }

  /** Events with seq > after, oldest first, at most `limit`. */
  async readAfter(runId: string, after: number, limit = 1000): Promise<RunStreamEvent[]> {
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

  /** The coalesced steps of runs so far, from their events (partial answers of active runs). */
  async stepsOf(runIds: readonly string[]): Promise<Map<string, StoredStep[]>> {
    const result = new Map<string, StoredStep[]>(runIds.map((id) => [id, []]));
    if (runIds.length === 0) return result;
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events
       WHERE run_id = ANY($1::uuid[]) AND type IN ('thinking', 'text', 'tool_call', 'tool_result')
       ORDER BY run_id, seq`,
      [runIds],
    );
    for (const row of rows) foldInto(result.get(row.run_id)!, fromRow(row));
    return result;
  }
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
      steps[event.index] = {
        type: 'tool_call',
        id: event.stepId,
        index: event.index,
        seq: event.seq,
        toolCallId: event.toolCallId,
        name: event.name,
        arguments: event.arguments,
      };
      return;
    case 'tool_result':
      steps[event.index] = {
        type: 'tool_result',
        id: event.stepId,
        index: event.index,
        seq: event.seq,
        toolCallId: event.toolCallId,
        callStepId: event.callStepId,
        name: event.name,
        content: event.content,
        success: event.success,
        durationMs: event.durationMs,
      };
      return;
    default:
      return;
  }
}

async function insertEvents(manager: EntityManager | DataSource, events: RunStreamEvent[]): Promise<void> {
  // One JSON parameter carries every row: the same statement on pg and PGlite, whatever the count.
  await manager.query(
    `WITH inserted AS (
       INSERT INTO run_events (run_id, seq, type, step_id, step_index, payload)
       SELECT run_id, seq, type, step_id, step_index, payload
       FROM jsonb_to_recordset($1::jsonb) AS e(run_id uuid, seq int, type text, step_id uuid, step_index int, payload jsonb)
       RETURNING run_id, seq
     )
     UPDATE runs SET last_seq = newest.seq
     FROM (SELECT run_id, max(seq) AS seq FROM inserted GROUP BY run_id) AS newest
     WHERE runs.id = newest.run_id AND runs.last_seq < newest.seq`,
    [JSON.stringify(events.map(toRow))],
  );
}

async function writeFinal(manager: EntityManager | DataSource, final: RunFinal): Promise<void> {
  await manager.query(
    `UPDATE runs SET status = $2, error_code = $3, error_message = $4, usage = $5::jsonb, iterations = $6,
       finished_at = clock_timestamp(), assistant_message_id = CASE WHEN $7 THEN NULL ELSE assistant_message_id END
     WHERE id = $1`,
    [final.runId, final.status, final.errorCode, final.errorMessage, JSON.stringify(final.usage), final.iterations, final.removeMessage],
  );
  if (final.removeMessage) {
    await manager.query(`DELETE FROM messages WHERE id = $1`, [final.assistantMessageId]);
  } else {
    await manager.query(
      `UPDATE messages SET text = $2, steps = $3::jsonb, token_count = $4, usage = $5::jsonb WHERE id = $1`,
      [final.assistantMessageId, final.text, JSON.stringify(final.steps), final.tokenCount, JSON.stringify(final.usage)],
    );
  }
  await manager.query(`UPDATE conversations SET updated_at = clock_timestamp() WHERE id = $1`, [final.conversationId]);
}

export type { RunEventType };
