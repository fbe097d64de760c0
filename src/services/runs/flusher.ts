/**
 * Durable before visible. A tick of the flusher takes the pending output of
 * every active run on this instance, writes it in one statement (seqs
 * assigned, consecutive deltas merged), and only then publishes it. Ticks
 * start at most once per FLUSH_INTERVAL_MS and only when there is output:
 * output that finds the flusher idle for a whole interval is written at
 * once (a run's first token does not wait out a timer), output that comes
 * sooner waits for the interval to pass. A failed write keeps the events
 * (with their seqs) for the next tick; nothing unwritten is ever shown.
 */
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.js';
import type { EventBus } from './event-bus.js';
import type { RunEventStore } from './run-event-store.js';
import type { RunFinal, RunProgress, RunRecorder } from './run-recorder.js';

export class Flusher {
  private readonly recorders = new Set<RunRecorder>();
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private lastTickAt = Number.NEGATIVE_INFINITY;
  private stopped = false;
  private dueAt = 0;
  /** Write statements issued (benchmarks and tests read it). */
  ticksWritten = 0;
  /** Called for a run that another instance ended while it ran here (the executor stops it). */
  onRunEnded?: (runId: string) => void;

  constructor(
    private readonly store: RunEventStore,
    private readonly bus: EventBus,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  add(recorder: RunRecorder): void {
    this.recorders.add(recorder);
    recorder.onWork = (urgent) => this.wake(urgent);
    if (recorder.hasWork) this.wake();
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
    const due = Math.max(this.lastTickAt + this.intervalMs, urgent ? now : now + this.intervalMs);
    if (this.timer && this.dueAt <= due) return;
    clearTimeout(this.timer);
    this.dueAt = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runTick();
    }, due - now);
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
      if (urgent !== undefined) this.wake(urgent);
    });
    return this.running;
  }

  /**
   * A tick fails as a whole when one of its runs was ended by another
   * instance's sweep meanwhile (its ending took the seq this instance was
   * writing). Such runs are dropped here, so the others' next tick goes
   * through, and their followers here get what is stored, ending included.
   */
  private async dropRunsEndedElsewhere(recorders: RunRecorder[]): Promise<number> {
    const ended = new Set(await this.store.endedAmong(recorders.map((r) => r.runId)));
    for (const recorder of recorders) {
      if (!ended.has(recorder.runId)) continue;
      this.log.warn({ runId: recorder.runId }, 'another instance ended this run; its unwritten output is dropped');
      const after = recorder.publishedSeq;
      recorder.abandon();
      this.recorders.delete(recorder);
      this.onRunEnded?.(recorder.runId);
      this.bus.publish(recorder.runId, await this.store.readAfter(recorder.runId, after));
    }
    return ended.size;
  }

  private async tick(): Promise<void> {
    const drained: { recorder: RunRecorder; events: ReturnType<RunRecorder['drain']>['events'] }[] = [];
    const finals: RunFinal[] = [];
    const progress: RunProgress[] = [];
    const progressed: RunRecorder[] = [];
    let oldest = Date.now();
    for (const recorder of this.recorders) {
      if (!recorder.hasWork) continue;
      oldest = Math.min(oldest, recorder.pendingSince ?? oldest);
      const drain = recorder.drain();
      if (drain.events.length > 0) drained.push({ recorder, events: drain.events });
      else if (drain.progress) progressed.push(recorder);
      if (drain.final) finals.push(drain.final);
      if (drain.progress) progress.push(drain.progress);
    }
    if (drained.length === 0 && progress.length === 0) return;
    try {
      await this.store.writeTick(
        drained.flatMap((d) => d.events),
        finals,
        progress,
      );
      this.ticksWritten++;
      this.metrics?.flushWritten();
    } catch (error) {
      await this.dropRunsEndedElsewhere([...drained.map((d) => d.recorder), ...progressed]).then(
        (dropped) => {
          if (dropped === 0) this.log.error({ err: error }, 'flush failed; retrying next tick');
        },
        () => this.log.error({ err: error }, 'flush failed; retrying next tick'),
      );
      return;
    }
    this.metrics?.eventsPublished(
      drained.reduce((n, d) => n + d.events.length, 0),
      (Date.now() - oldest) / 1000,
    );
    for (const { recorder, events } of drained) {
      this.bus.publish(recorder.runId, [...events]);
      recorder.committed();
      if (recorder.finished && !recorder.hasWork) this.recorders.delete(recorder);
    }
    for (const recorder of progressed) recorder.committed();
  }
}
