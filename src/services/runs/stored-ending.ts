/**
 * Ends an active run from what is stored, when its own recorder cannot:
 * the sweep ends a dead instance's run as INTERRUPTED, the flusher ends a
 * run whose output the database refused as INTERNAL. The partial answer is
 * rebuilt from the stored events and the terminal event takes the next seq
 * after the newest one, so a client resuming from the last seq it saw
 * receives it. Written in one transaction with the run's row locked, so two
 * instances never both end one run; published only once it is durable.
 */
import type { DataSource } from 'typeorm';
import { Run, type RunErrorCode } from '../../entities/index.js';
import type { EventBus } from './event-bus.js';
import { fromRow, type RunStreamEvent } from './run-event.js';
import { foldInto, type RunEventStore } from './run-event-store.js';
import { RunRecorder } from './run-recorder.js';
import { EMPTY_USAGE } from './step-view.js';

export interface StoredEnding {
  code: RunErrorCode;
  message: string;
}

/** How long to wait for the run's row (a flush in flight, another sweep at it). */
const LOCK_TIMEOUT = '5s';

export class StoredEndings {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: RunEventStore,
    private readonly bus: EventBus,
  ) {}

  /**
   * Ends the run if it is still active, then publishes its terminal event.
   * Returns false when it had ended already.
   */
  async end(runId: string, ending: StoredEnding): Promise<boolean> {
    const events = await this.dataSource.transaction(async (manager) => {
      // The row lock waits, never skips: the owner's flush holds a KEY SHARE lock on the row while
      // it inserts events (their foreign key), and FOR UPDATE is what keeps those inserts from
      // taking the seq this ending takes. A flush is short; another sweep at the same run ends it
      // first, and this one then finds it ended.
      await manager.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
      const [run] = await manager
        .getRepository(Run)
        .createQueryBuilder('r')
        .setLock('pessimistic_write')
        .where(`r.id = :runId AND r.status IN ('QUEUED', 'RUNNING')`, { runId })
        .getMany();
      if (!run || !run.assistantMessageId) return undefined;
      const rows = await manager.query(
        `SELECT run_id, seq, type, step_id, step_index, payload FROM run_events WHERE run_id = $1 ORDER BY seq`,
        [runId],
      );
      // An active run's row does not follow its events: the ending comes after the newest one.
      const newest = rows.length > 0 ? Number(rows[rows.length - 1].seq) : 0;
      const recorder = new RunRecorder(run.id, run.conversationId, run.assistantMessageId, Math.max(run.lastSeq, newest));
      for (const row of rows) foldInto(recorder.steps, fromRow(row));
      recorder.finish({ kind: 'error', ...ending, usage: run.usage ?? EMPTY_USAGE, iterations: run.iterations });
      const { events: drained, final } = recorder.drain();
      await this.store.writeWith(manager, drained, final ? [final] : []);
      return [...drained] as RunStreamEvent[];
    });
    if (!events) return false;
    this.bus.publish(runId, events);
    return true;
  }
}
