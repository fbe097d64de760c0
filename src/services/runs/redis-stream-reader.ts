/**
 * One reader per instance follows every run stream that has a local
 * listener with a single blocking XREAD and hands the events on; events
 * this instance publishes go through `deliver` too, and a cursor per run
 * keeps either copy from reaching listeners twice. When the set of streams
 * grows (or a watch must start earlier), the reader is woken through a wake
 * stream of its own that every XREAD includes (see wake()).
 *
 * A watch starts where its first listener asks (`fromSeq`), which is only a
 * claim until something has been delivered: a client may claim an `after`
 * beyond what exists. A later listener asking for less lowers the start, so
 * a claim never hides live events from the listeners after it.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { RunStreamEvent } from './run-event.js';

export interface RedisStreamReaderOptions {
  /** The connection the blocking XREAD holds. */
  reader: Redis;
  /** A connection for the wake stream. */
  writer: Redis;
  prefix: string;
  log: Logger;
  /** Events new to this instance's listeners of the run. */
  deliver: (runId: string, events: RunStreamEvent[]) => void;
}

interface Watch {
  listeners: number;
  /** The newest seq delivered to this instance's listeners, or, before any, where the watch starts. */
  cursor: number;
  /** Something was delivered: the cursor is a seq that exists, not a listener's claim. */
  delivered: boolean;
}

/** A wake stream outlives its instance by at most this (renewed by every wake). */
const WAKE_TTL_SECONDS = 3_600;

export class RedisStreamReader {
  private readonly watches = new Map<string, Watch>();
  /** This instance's wake stream: the reader's XREAD always includes it. */
  private readonly wakeKey: string;
  /** The newest wake entry the reader has seen. */
  private wakeCursor = '0-0';
  /** The reader's XREAD is under way with the set of streams it had then. */
  private reading = false;
  private loop?: Promise<void>;
  private wakeIdle?: () => void;
  private closed = false;

  constructor(private readonly options: RedisStreamReaderOptions) {
    this.wakeKey = `${options.prefix}wake:${randomUUID()}`;
  }

  streamKey(runId: string): string {
    return `${this.options.prefix}run:${runId}:events`;
  }

  start(): void {
    this.loop = this.read();
  }

  /** Ends the loop (the caller disconnects the reader, which rejects its pending XREAD). */
  async stop(): Promise<void> {
    this.closed = true;
    this.wakeIdle?.();
    await this.loop;
  }

  /** Drops the wake stream (on shutdown, through the writer). */
  dropWakeStream(): Promise<unknown> {
    return this.options.writer.del(this.wakeKey);
  }

  /** A listener of the run from `fromSeq` on; undo with `unwatch`. */
  watch(runId: string, fromSeq: number): void {
    const existing = this.watches.get(runId);
    if (!existing) {
      this.watches.set(runId, { listeners: 1, cursor: fromSeq, delivered: false });
      this.wakeIdle?.();
      if (this.reading) this.wake();
      return;
    }
    existing.listeners++;
    if (!existing.delivered && fromSeq < existing.cursor) {
      existing.cursor = fromSeq;
      if (this.reading) this.wake();
    }
  }

  unwatch(runId: string): void {
    const watch = this.watches.get(runId);
    if (watch && --watch.listeners === 0) this.watches.delete(runId);
  }

  /** Hands on the events newer than what this instance already delivered. */
  deliver(runId: string, events: RunStreamEvent[]): void {
    const watch = this.watches.get(runId);
    if (!watch) return;
    const fresh = events.filter((e) => e.seq > watch.cursor);
    const newest = fresh.at(-1);
    if (!newest) return;
    watch.cursor = newest.seq;
    watch.delivered = true;
    this.options.deliver(runId, fresh);
  }

  /**
   * Ends the reader's blocking XREAD so that the next one includes a new
   * stream: an entry in the wake stream, which that XREAD reads after the
   * last wake it saw, so a wake that reaches Redis before the XREAD does is
   * not lost either. Not CLIENT UNBLOCK: the reader's client id changes on
   * every reconnect, and a CLIENT ID asked after one is answered only
   * after the blocking XREAD that ioredis re-sends first.
   */
  private wake(): void {
    this.options.writer
      .multi()
      .xadd(this.wakeKey, 'MAXLEN', 1, '*', 'w', '1')
      .expire(this.wakeKey, WAKE_TTL_SECONDS)
      .exec()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'redis wake failed'));
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      if (this.watches.size === 0) {
        await new Promise<void>((resolve) => (this.wakeIdle = resolve));
        this.wakeIdle = undefined;
        continue;
      }
      const watched = [...this.watches].map(([runId, watch]) => [runId, { ...watch }] as const);
      let result: [string, [string, string[]][]][] | null;
      // Set in the same tick as the XREAD is issued: a watch added from now on needs a wake.
      this.reading = true;
      try {
        result = (await this.options.reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          10_000,
          'STREAMS',
          this.wakeKey,
          ...watched.map(([runId]) => this.streamKey(runId)),
          this.wakeCursor,
          ...watched.map(([, watch]) => `0-${watch.cursor}`),
        )) as typeof result;
      } catch (error) {
        if (this.closed) return;
        this.options.log.warn({ err: error }, 'redis read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      } finally {
        this.reading = false;
      }
      const readFrom = new Map(watched.map(([runId, watch]) => [runId, watch.cursor]));
      for (const [key, entries] of result ?? []) this.readEntries(key, entries, readFrom);
    }
  }

  /** `readFrom`: where the XREAD started each stream. */
  private readEntries(key: string, entries: [string, string[]][], readFrom: Map<string, number>): void {
    if (key === this.wakeKey) {
      this.wakeCursor = entries.at(-1)?.[0] ?? this.wakeCursor;
      return;
    }
    const runId = key.slice(`${this.options.prefix}run:`.length, -':events'.length);
    const watch = this.watches.get(runId);
    // A listener lowered the start while this XREAD was under way: the next one reads from there, these included.
    if (watch && !watch.delivered && watch.cursor < (readFrom.get(runId) ?? 0)) return;
    this.deliver(
      runId,
      entries.flatMap(([, fields]) => (fields[1] === undefined ? [] : [JSON.parse(fields[1]) as RunStreamEvent])),
    );
  }
}
