/**
 * Durable before visible. Every FLUSH_INTERVAL_MS the flusher takes the
 * pending output of every active run on this instance, writes it in one
 * statement (seqs assigned, consecutive deltas merged), and only then
 * publishes it. A failed write keeps the events (with their seqs) for the
 * next tick; nothing unwritten is ever shown.
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
  /** Write statements issued (benchmarks and tests read it). */
  ticksWritten = 0;

  constructor(
    private readonly store: RunEventStore,
    private readonly bus: EventBus,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly metrics?: Metrics,
  ) {}

  add(recorder: RunRecorder): void {
    this.recorders.add(recorder);
    // Ticks run only while some run is active; an idle tick writes nothing.
    this.timer ??= setInterval(() => {
      if (!this.running) void this.runTick();
    }, this.intervalMs);
  }

  /** Flushes now (shutdown, tests). */
  async flushNow(): Promise<void> {
    while (this.running) await this.running;
    await this.runTick();
  }

  private runTick(): Promise<void> {
    this.running = this.tick().finally(() => {
      this.running = undefined;
      if (this.recorders.size === 0) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    });
    return this.running;
  }

  async stop(): Promise<void> {
    await this.flushNow();
    clearInterval(this.timer);
    this.timer = undefined;
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
      this.log.error({ err: error }, 'flush failed; retrying next tick');
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
