/**
 * Durable before visible. A tick of the flusher takes the pending output of
 * every active run on this instance, writes it in one statement (seqs
 * assigned, consecutive deltas merged), and only then publishes it. Ticks
 * start at most once per FLUSH_INTERVAL_MS and only when there is output:
 * output that finds the flusher idle for a whole interval is written at
 * once (a run's first token does not wait out a timer), output that comes
 * sooner waits for the interval to pass. Nothing unwritten is ever shown.
 *
 * A bulkhead: when the database refuses the tick's statement for its data,
 * each run is written alone, so the runs that did nothing wrong go through
 * in the same tick and a run whose output cannot be stored (or that another
 * instance ended meanwhile) is ended from what is stored and stopped. A
 * failure of the database itself keeps every event (with its seq) for the
 * next tick, backing off, and is logged once, not once per tick.
 */
import type { Logger } from 'pino';
import { isTransientDbError, sqlState } from '../database/db-errors.js';
import type { Metrics } from '../metrics.js';
import type { OutputPart, RunOutput } from './run-output.js';
import { RunRecorder, type RunRecorderOptions } from './run-recorder.js';
import type { StoredEndings } from './stored-ending.js';

export interface FlusherOptions {
  /** Where a tick's output is written, then published. */
  output: Pick<RunOutput, 'commit' | 'publishStored'>;
  endings: Pick<StoredEndings, 'end'>;
  intervalMs: number;
  log: Logger;
  metrics?: Metrics;
}

/** One run's share of a tick. */
interface TickEntry extends OutputPart {
  recorder: RunRecorder;
}

const REFUSED_ENDING = {
  code: 'INTERNAL',
  message: 'The server could not store this run\'s output, so the run was stopped; the answer so far is kept.',
} as const;
/** Longest wait between two ticks while the database fails. */
const MAX_BACKOFF_MS = 1_000;
/** While the database fails, a reminder at most this often. */
const FAILURE_LOG_EVERY_MS = 60_000;

export class Flusher {
  private readonly recorders = new Set<RunRecorder>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastTickAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private dueAt = 0;
  /** Consecutive ticks the database failed, and when that was last logged. */
  private failedTicks = 0;
  private failureLoggedAt = Number.NEGATIVE_INFINITY;
  /** Runs to end from storage whose ending could not be written yet (their last published seq). */
  private readonly unended = new Map<string, number>();
  /** Write statements issued (benchmarks and tests read it). */
  ticksWritten = 0;
  private readonly output: FlusherOptions['output'];
  private readonly endings: FlusherOptions['endings'];
  private readonly intervalMs: number;
  private readonly log: Logger;
  private readonly metrics?: Metrics;

  constructor(options: FlusherOptions) {
    ({ output: this.output, endings: this.endings, intervalMs: this.intervalMs, log: this.log, metrics: this.metrics } = options);
  }

  /** A recorder for a run, drained by this flusher from now until its ending is durable. */
  record(run: Omit<RunRecorderOptions, 'onWork'>): RunRecorder {
    const recorder = new RunRecorder({ ...run, onWork: (urgent) => this.wake(urgent) });
    this.recorders.add(recorder);
    return recorder;
  }

  /** Flushes now (shutdown, tests). */
  async flushNow(): Promise<void> {
    while (this.running) await this.running;
    this.cancelTimer();
    await this.runTick();
  }

  async stop(): Promise<void> {
    await this.flushNow();
    this.stopped = true;
    this.cancelTimer();
  }

  /**
   * Schedules a tick for new output: at once if the last tick started an
   * interval ago, else when it has. Progress alone (a run's next LLM call)
   * is not urgent: it waits an interval, unless output comes first.
   */
  private wake(urgent = true): void {
    if (this.running || this.stopped) return; // a running tick wakes again when it is done
    const now = performance.now();
    const due = Math.max(this.lastTickAt + this.backoffMs(), urgent ? now : now + this.intervalMs);
    if (this.timer && this.dueAt <= due) return;
    clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runTick();
    }, due - now);
  }

  /** The interval, doubled per consecutive failed tick up to a second. */
  private backoffMs(): number {
    if (this.failedTicks === 0) return this.intervalMs;
    return Math.min(MAX_BACKOFF_MS, this.intervalMs * 2 ** Math.min(this.failedTicks, 16));
  }

  private cancelTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private runTick(): Promise<void> {
    this.lastTickAt = performance.now();
    this.running = this.tick().finally(() => {
      this.running = undefined;
      // Output that came during the write (or a write to retry) goes an interval after this tick began.
      let urgent: boolean | undefined;
      for (const recorder of this.recorders) {
        if (recorder.hasOutput) {
          urgent = true;
          break;
        }
        if (recorder.hasWork) urgent = false;
      }
      if (this.unended.size > 0) urgent ??= false;
      if (urgent !== undefined) this.wake(urgent);
    });
    return this.running;
  }

  private async tick(): Promise<void> {
    await this.endUnended();
    const batch: TickEntry[] = [];
    let oldest = Date.now();
    for (const recorder of this.recorders) {
      if (!recorder.hasWork) continue;
      oldest = Math.min(oldest, recorder.pendingSince ?? oldest);
      batch.push({ recorder, runId: recorder.runId, ...recorder.drain() });
    }
    if (batch.length === 0) return;
    try {
      await this.commit(batch);
    } catch (error) {
      if (isTransientDbError(error)) return this.failed(error);
      // The database refused the data: one run's, most likely. Each run alone, so the others go through.
      return this.commitEach(batch, oldest);
    }
    this.published(batch, oldest);
  }

  private async commit(batch: TickEntry[]): Promise<void> {
    await this.output.commit(batch);
    this.ticksWritten++;
    this.metrics?.flushWritten();
    if (this.failedTicks > 0) this.log.warn({ failedTicks: this.failedTicks }, 'run output is being written again');
    this.failedTicks = 0;
  }

  private async commitEach(batch: TickEntry[], oldest: number): Promise<void> {
    for (const entry of batch) {
      try {
        await this.commit([entry]);
      } catch (error) {
        if (isTransientDbError(error)) this.failed(error);
        else await this.endRefused(entry.recorder, error);
        continue;
      }
      this.published([entry], oldest);
    }
  }

  /** The recorders of written and published output learn it is durable. */
  private published(batch: TickEntry[], oldest: number): void {
    this.metrics?.eventsPublished(
      batch.reduce((n, entry) => n + entry.events.length, 0),
      (Date.now() - oldest) / 1000,
    );
    for (const { recorder } of batch) {
      recorder.committed();
      if (recorder.finished && !recorder.hasWork) this.recorders.delete(recorder);
    }
  }

  /** The database failed, not the data: everything stays for the next tick. Logged once a minute at most. */
  private failed(error: unknown): void {
    this.failedTicks++;
    const now = performance.now();
    if (now - this.failureLoggedAt < FAILURE_LOG_EVERY_MS) return;
    this.failureLoggedAt = now;
    this.log.error({ code: sqlState(error) ?? errorName(error), failedTicks: this.failedTicks }, 'run output could not be written; retrying');
  }

  /**
   * The database refuses this run's output whatever the others do: its
   * events can never be written. The run stops here and is ended from
   * what is stored, unless another instance ended it already (its ending
   * took the seq this instance was writing); either way its followers
   * here get what is stored, ending included.
   */
  private async endRefused(recorder: RunRecorder, error: unknown): Promise<void> {
    const { runId } = recorder;
    this.unended.set(runId, recorder.publishedSeq);
    // Stops the run too: its signal follows the recorder's.
    recorder.abandon();
    this.recorders.delete(recorder);
    this.log.error({ runId, code: sqlState(error) }, 'the database refused this run\'s output; the run is stopped');
    await this.endUnended();
  }

  /** Writes the endings still owed (retried each tick while the database fails). */
  private async endUnended(): Promise<void> {
    for (const [runId, after] of this.unended) {
      try {
        const ended = await this.endings.end(runId, REFUSED_ENDING);
        this.unended.delete(runId);
        if (!ended) {
          this.log.warn({ runId }, 'another instance ended this run; its unwritten output is dropped');
          await this.output.publishStored(runId, after);
        }
      } catch (error) {
        if (!isTransientDbError(error)) {
          this.unended.delete(runId);
          this.log.error({ runId, code: sqlState(error) }, 'the run could not be ended');
        } else this.failed(error);
      }
    }
  }
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code.slice(0, 40) : error instanceof Error ? error.name : 'unknown';
}
