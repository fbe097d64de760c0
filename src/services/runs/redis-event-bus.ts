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
 * with a single blocking XREAD and fans the events out in process; events
 * this instance publishes are delivered locally at once and skipped when
 * they come back from Redis. When the set of streams grows, the reader is
 * woken through a wake stream of its own that every XREAD includes (see
 * wake()). Cancel requests travel over pub/sub to whichever instance
 * executes the run; while Redis is unreachable they fail within a bound
 * instead of waiting for it.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ConflictError, RedisUnreachableError } from '../errors.js';
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

/** How long a cancel request may wait for Redis before cancelRun answers CONFLICT. */
const CANCEL_PUBLISH_TIMEOUT_MS = 3_000;
/** How long stop() waits for queued writes to reach Redis. */
const QUIT_TIMEOUT_MS = 1_000;
/** A wake stream outlives its instance by at most this (renewed by every wake). */
const WAKE_TTL_SECONDS = 3_600;

/** The URL without credentials or query, for messages. */
function shownUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(unparsable URL)';
  }
}

const withTimeout = <T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
};

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
  private readonly url: string;
  /** This instance's wake stream: the reader's XREAD always includes it. */
  private readonly wakeKey: string;
  /** The newest wake entry the reader has seen. */
  private wakeCursor = '0-0';
  /** The reader's XREAD is under way with the set of streams it had then. */
  private reading = false;
  private readerLoop?: Promise<void>;
  private wakeReader?: () => void;
  private closed = false;
  private connected = false;

  constructor(
    options: RedisEventBusOptions,
    private readonly log: Logger,
  ) {
    const connection = { lazyConnect: true, maxRetriesPerRequest: null, enableAutoPipelining: false };
    this.writer = new Redis(options.url, connection);
    this.reader = new Redis(options.url, connection);
    this.subscriber = new Redis(options.url, connection);
    for (const client of [this.writer, this.reader, this.subscriber]) {
      // Not before start() has connected: a failed first connection is start()'s one line, not a JSON stack per client.
      client.on('error', (error: Error) => {
        if (this.connected) this.log.warn({ err: error }, 'redis connection error');
      });
    }
    this.url = options.url;
    this.prefix = options.prefix ?? 'chat-run:';
    this.wakeKey = `${this.prefix}wake:${randomUUID()}`;
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

  /**
   * Connects the three connections and starts the reader and the cancel
   * subscription. Throws RedisUnreachableError (one line naming REDIS_URL,
   * without credentials) when Redis cannot be reached.
   */
  async start(): Promise<void> {
    await this.connect();
    await this.subscriber.subscribe(this.cancelChannel);
    this.subscriber.on('message', (channel: string, runId: string) => {
      if (channel !== this.cancelChannel) return;
      for (const handler of this.cancelHandlers) handler(runId);
    });
    this.readerLoop = this.read();
  }

  private async connect(): Promise<void> {
    const clients = [this.writer, this.reader, this.subscriber];
    // ioredis rejects a failed first connection with a bare "Connection is closed."; the cause
    // comes as an 'error' event just before.
    let cause: (Error & { code?: string }) | undefined;
    const noteCause = (error: Error) => (cause ??= error);
    for (const client of clients) client.on('error', noteCause);
    try {
      await Promise.all(clients.map((client) => client.connect()));
      this.connected = true;
    } catch (error) {
      for (const client of clients) client.disconnect();
      const reason = cause?.code ?? (cause ?? (error as Error)).message.split('\n')[0]!.slice(0, 200);
      throw new RedisUnreachableError(`REDIS_URL: cannot reach ${shownUrl(this.url)} (${reason})`);
    } finally {
      for (const client of clients) client.off('error', noteCause);
    }
  }

  /** Needs no answer from Redis: stopping during an outage must not hang. */
  async stop(): Promise<void> {
    this.closed = true;
    this.wakeReader?.();
    // Disconnecting rejects the reader's pending XREAD, which ends its loop.
    this.reader.disconnect();
    this.subscriber.disconnect();
    await this.readerLoop;
    // Publishes still queued go out first when Redis answers; the wake stream is dropped.
    const quit = this.writer
      .del(this.wakeKey)
      .catch(() => 0)
      .then(() => this.writer.quit());
    if ((await withTimeout(quit.catch(() => undefined), QUIT_TIMEOUT_MS)) === 'timeout') this.writer.disconnect();
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
      if (this.reading) this.wake();
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

  /**
   * Publishes the cancel request. While Redis is unreachable this throws
   * ConflictError within CANCEL_PUBLISH_TIMEOUT_MS instead of waiting for the
   * outage to end: a connection that is down fails at once (nothing is
   * queued); one that looks up but does not answer may still deliver the
   * request later, when it recovers, which is what the caller asked for.
   */
  async requestCancel(runId: string): Promise<void> {
    const undelivered = () =>
      new ConflictError('The cancel could not be delivered: the instance running this run cannot be reached through Redis right now. Try again.');
    if (this.writer.status !== 'ready') throw undelivered();
    const sent = await withTimeout(this.writer.publish(this.cancelChannel, runId), CANCEL_PUBLISH_TIMEOUT_MS);
    if (sent === 'timeout') throw undelivered();
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

  /**
   * Ends the reader's blocking XREAD so that the next one includes a new
   * stream: an entry in the wake stream, which that XREAD reads after the
   * last wake it saw, so a wake that reaches Redis before the XREAD does is
   * not lost either. Not CLIENT UNBLOCK: the reader's client id changes on
   * every reconnect, and a CLIENT ID asked after one is answered only
   * after the blocking XREAD that ioredis re-sends first.
   */
  private wake(): void {
    this.writer
      .multi()
      .xadd(this.wakeKey, 'MAXLEN', 1, '*', 'w', '1')
      .expire(this.wakeKey, WAKE_TTL_SECONDS)
      .exec()
      .catch((error: unknown) => this.log.warn({ err: error }, 'redis wake failed'));
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
      // Set in the same tick as the XREAD is issued: a watch added from now on needs a wake.
      this.reading = true;
      try {
        result = (await this.reader.xread(
          'COUNT',
          1000,
          'BLOCK',
          10_000,
          'STREAMS',
          this.wakeKey,
          ...runIds.map((id) => this.streamKey(id)),
          this.wakeCursor,
          ...ids,
        )) as typeof result;
      } catch (error) {
        if (this.closed) return;
        this.log.warn({ err: error }, 'redis read failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      } finally {
        this.reading = false;
      }
      for (const [key, entries] of result ?? []) {
        if (key === this.wakeKey) {
          this.wakeCursor = entries[entries.length - 1]?.[0] ?? this.wakeCursor;
          continue;
        }
        const runId = key.slice(`${this.prefix}run:`.length, -':events'.length);
        this.deliver(
          runId,
          entries.map(([, fields]) => JSON.parse(fields[1]!) as RunStreamEvent),
        );
      }
    }
  }
}
