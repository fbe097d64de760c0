/**
 * Ends an active run from what is stored, when its own recorder cannot:
 * the sweep ends a dead instance's run as INTERRUPTED, the flusher ends a
 * run whose output the database refused as INTERNAL. The partial answer is
 * rebuilt from the stored events and the terminal event takes the next seq
 * after the newest one, so a client resuming from the last seq it saw
 * receives it. Written in one transaction with the run's row locked, so two
 * instances never both end one run; published only once it is durable.
 */
import { randomUUID } from 'node:crypto';
import { Run, type RunErrorCode, type StoredStep } from '../../entities/index.js';
import { ACTIVE_STATUSES_SQL, terminalOf } from './run-ending.js';
import { fromRow, type RunStreamEvent } from './run-event.js';
import { foldInto } from './run-event-store.js';
import type { RunOutput } from './run-output.js';
import { EMPTY_USAGE } from './step-view.js';

export interface StoredEnding {
  code: RunErrorCode;
  message: string;
}

/** How long to wait for the run's row (a flush in flight, another sweep at it). */
const LOCK_TIMEOUT = '5s';

export class StoredEndings {
  constructor(private readonly output: RunOutput) {}

  /**
   * Ends the run if it is still active, then publishes its terminal event.
   * Returns false when it had ended already.
   */
  end(runId: string, ending: StoredEnding): Promise<boolean> {
    return this.output.commitInTransaction(async (manager) => {
      // The row lock waits, never skips: the owner's flush holds a KEY SHARE lock on the row while
      // it inserts events (their foreign key), and FOR UPDATE is what keeps those inserts from
      // taking the seq this ending takes. A flush is short; another sweep at the same run ends it
      // first, and this one then finds it ended.
      await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      const [run] = await manager
        .getRepository(Run)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where(`r.id = :runId AND r.status IN ${ACTIVE_STATUSES_SQL}`, { runId })
        .getMany();
      if (!run?.assistantMessageId) return undefined;
      const rows: Parameters<typeof fromRow>[0][] = await manager.query(
        `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      const steps: StoredStep[] = [];
      for (const row of rows) foldInto(steps, fromRow(row));
      // An active run's row does not follow its events: the ending comes after the newest one.
      const seq = Math.max(run.lastSeq, Number(rows.at(-1)?.seq ?? 0)) + 1;
      const identity = { runId, conversationId: run.conversationId, assistantMessageId: run.assistantMessageId };
      const usage = run.usage ?? EMPTY_USAGE;
      const { event, final } = terminalOf(identity, { kind: 'error', ...ending, usage, iterations: run.iterations }, steps, randomUUID());
      return [{ runId, events: [{ ...event, seq } as RunStreamEvent], final }];
    });
  }
}
