/**
 * Durable before visible, in one place: run output is written, and its
 * events are published only once that write has committed. The flusher's
 * ticks and the endings written from storage (the sweep, a refused run) both
 * go through here.
 */
import type { DataSource, EntityManager } from 'typeorm';
import type { EventBus } from './event-bus.js';
import type { RunFinal, RunProgress } from './run-ending.js';
import type { RunEventStore } from './run-event-store.js';
import type { RunStreamEvent } from './run-event.js';

/** One run's share of a write: its events (seqs assigned), its final row once it ends, its progress. */
export interface OutputPart {
  runId: string;
  events: RunStreamEvent[];
  final?: RunFinal;
  progress?: RunProgress;
}

export interface RunOutputOptions {
  dataSource: DataSource;
  store: RunEventStore;
  bus: EventBus;
}

export class RunOutput {
  constructor(private readonly options: RunOutputOptions) {}

  /** Writes the parts in one statement, then publishes their events. Throws (publishing nothing) when the write fails. */
  async commit(parts: OutputPart[]): Promise<void> {
    await this.write(this.options.dataSource, parts);
    this.publish(parts);
  }

  /**
   * The same inside a transaction: `work` returns the parts to write on its
   * connection (undefined: nothing), and they are published once the
   * transaction has committed. Returns whether there were parts.
   */
  async commitInTransaction(work: (manager: EntityManager) => Promise<OutputPart[] | undefined>): Promise<boolean> {
    const parts = await this.options.dataSource.transaction(async (manager) => {
      const found = await work(manager);
      if (found) await this.write(manager, found);
      return found;
    });
    if (!parts) return false;
    this.publish(parts);
    return true;
  }

  /** Publishes the run's stored events after `after` (already durable: written by another instance). */
  async publishStored(runId: string, after: number): Promise<void> {
    this.options.bus.publish(runId, await this.options.store.readAfter(runId, after));
  }

  private write(db: DataSource | EntityManager, parts: OutputPart[]): Promise<void> {
    return this.options.store.write(
      db,
      parts.flatMap((part) => part.events),
      parts.flatMap((part) => (part.final ? [part.final] : [])),
      parts.flatMap((part) => (part.progress ? [part.progress] : [])),
    );
  }

  private publish(parts: OutputPart[]): void {
    // A copy: a recorder reuses its in-flight array.
    for (const { runId, events } of parts) if (events.length > 0) this.options.bus.publish(runId, [...events]);
  }
}
