/**
 * Live events and cancellation across server instances, through Redis.
 *
 * Each run's events go to a Redis Stream whose entry ids are `0-<seq>`, so
 * a follower can start reading exactly after the seq it has. Publishing
 * happens after the database commit, as without Redis (durable before
 * visible); the stream is trimmed to a bound and expires after the run
 * ends: the database stays the record for finished runs.
 *
 * One reader per instance follows every stream that has a local listener
 * with a single blocking XREAD (interrupted with CLIENT UNBLOCK when the set
 * of streams changes) and fans the events out in process; events this
 * instance publishes are delivered locally at once and skipped when they
 * come back from Redis. Cancel requests travel over pub/sub to whichever
 * instance executes the run.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { InProcessEventBus, type EventBus, type LiveEvents } from './event-bus.js';
import { isTerminal, type RunStreamEvent } from './run-event.js';

export interface RedisEventBusOptions {
  url: string;
  /** Prefix of every key and channel (several deployments may share a Redis). */
  prefix?: string;
  /** Entries kept per run stream (approximately). */
  maxLen?: number;
  /** How long a finished run's stream stays, in seconds. */
  ttlSeconds?: number;
}

interface Watch {
  listeners: number;
  /** The newest seq delivered to this instance's listeners. */
  cursor: number;
}

export class RedisEventBus implements EventBus {
  private readonly local = new InProcessEventBus();
  private readonly watches = new Map<string, Watch>();
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly maxLen: number;
  private readonly ttlSeconds: number;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];
  private readerId?: number;
  private readerLoop?: Promise<void>;
  private wakeReader?: () => void;
  private closed = false;

  constructor(
    options: RedisEventBusOptions,
    private readonly log: Logger,
  ) {
    const connection = { lazyConnect: true, maxRetriesPerRequest: null, enableAutoPipelining: false };
    this.writer = new Redis(options.url, connection);
    this.reader = new Redis(options.url, connection);
    this.subscriber = new Redis(options.url, connection);
    for (const client of [this.writer, this.reader, this.subscriber]) {
      client.on('error', (error: Error) => this.log.warn({ err: error }, 'redis connection error'));
    }
    this.prefix = options.prefix ?? 'chat-run:';
    this.maxLen = options.maxLen ?? 10_000;
    this.ttlSeconds = options.ttlSeconds ?? 300;
  }

  get listenerCount(): number {
    return this.local.listenerCount;
  }

  private streamKey(runId: string): string {
    return `${this.prefix}run:${runId}:events`;
  }

  private get cancelChannel(): string {
    return `${this.prefix}cancel`;
  }

  /** Connects the three connections and starts the reader and the cancel subscription. */
  async start(): Promise<void> {
    await Promise.all([this.writer.connect(), this.reader.connect(), this.subscriber.connect()]);
    this.readerId = Number(await this.reader.client('ID'));
    await this.subscriber.subscribe(this.cancelChannel);
    this.subscriber.on('message', (channel: string, runId: string) => {
      if (channel !== this.cancelChannel) return;
      for (const handler of this.cancelHandlers) handler(runId);
    });
    this.readerLoop = this.read();
  }

  async stop(): Promise<void> {
    this.closed = true;
    this.wakeReader?.();
    await this.interruptReader();
    await this.readerLoop;
    this.reader.disconnect();
    this.subscriber.disconnect();
    await this.writer.quit().catch(() => this.writer.disconnect());
  }

  publish(runId: string, events: RunStreamEvent[]): void {
    if (events.length === 0) return;
    this.deliver(runId, events);
    const key = this.streamKey(runId);
    const pipeline = this.writer.pipeline();
    for (const event of events) {
      pipeline.xadd(key, 'MAXLEN', '~', this.maxLen, `0-${event.seq}`, 'e', JSON.stringify(event));
    }
    if (events.some(isTerminal)) pipeline.expire(key, this.ttlSeconds);
    pipeline.exec().then(
      (results) => {
        const failed = results?.find(([error]) => error && !/equal or smaller/.test(String(error)));
        if (failed) this.log.warn({ err: failed[0], runId }, 'redis publish failed');
      },
      (error: unknown) => this.log.warn({ err: error, runId }, 'redis publish failed'),
    );
  }

  listen(runId: string, maxBuffered?: number, fromSeq = 0): LiveEvents {
    const live = this.local.listen(runId, maxBuffered);
    const existing = this.watches.get(runId);
    if (existing) existing.listeners++;
    else {
      this.watches.set(runId, { listeners: 1, cursor: fromSeq });
      this.wakeReader?.();
      void this.interruptReader();
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      const watch = this.watches.get(runId);
      if (watch && --watch.listeners === 0) this.watches.delete(runId);
    };
    return {
      get overflowed() {
        return live.overflowed;
      },
      close() {
        live.close();
        release();
      },
      async *[Symbol.asyncIterator]() {
        try {
          yield* live;
        } finally {
          release();
        }
      },
    };
  }

  async requestCancel(runId: string): Promise<void> {
    await this.writer.publish(this.cancelChannel, runId);
  }

  onCancelRequest(handler: (runId: string) => void): void {
    this.cancelHandlers.push(handler);
  }

  /** Local fan-out of events newer than what this instance already delivered. */
  private deliver(runId: string, events: RunStreamEvent[]): void {
    const watch = this.watches.get(runId);
    if (!watch) return;
    const fresh = events.filter((e) => e.seq > watch.cursor);
    if (fresh.length === 0) return;
    watch.cursor = fresh[fresh.length - 1]!.seq;
    this.local.publish(runId, fresh);
  }

  private async interruptReader(): Promise<void> {
    if (this.readerId === undefined) return;
    try {
      await this.writer.client('UNBLOCK', this.readerId);
    } catch {
      // not blocked, or closing
    }
  }

  private async read(): Promise<void> {
    while (!this.closed) {
      if (this.watches.size === 0) {
        await new Promise<void>((resolve) => (this.wakeReader = resolve));
        this.wakeReader = undefined;
        continue;
      }
      const runIds = [...this.watches.keys()];
      const ids = runIds.map((id) => `0-${this.watches.get(id)!.cursor}`);
      let result: [string, [string, string[]][]][] | null;
      try {
        result = (await this.reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          10_000,
          'STREAMS',
          ...runIds.map((id) => this.streamKey(id)),
          ...ids,
        )) as typeof result;
      } catch (error) {
        if (this.closed) return;
        this.log.warn({ err: error }, 'redis read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      for (const [key, entries] of result ?? []) {
        const runId = key.slice(`${this.prefix}run:`.length, -':events'.length);
        this.deliver(
          runId,
          entries.map(([, fields]) => JSON.parse(fields[1]!) as RunStreamEvent),
        );
      }
    }
  }
}
