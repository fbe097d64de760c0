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
 * (see redis-stream-reader.ts) and fans the events out in process; events
 * this instance publishes are delivered locally at once and skipped when
 * they come back from Redis. Cancel requests travel over pub/sub to
 * whichever instance executes the run; while Redis is unreachable they fail
 * within a bound instead of waiting for it.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { closingIterator } from '../async-iteration.js';
import { ConflictError, RedisUnreachableError } from '../errors.js';
import { InProcessEventBus, type EventBus, type LiveEvents } from './event-bus.js';
import { isTerminal, type RunStreamEvent } from './run-event.js';
import { RedisStreamReader } from './redis-stream-reader.js';

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

export class RedisEventBus implements EventBus {
  private readonly local = new InProcessEventBus();
  private readonly streams: RedisStreamReader;
  private readonly writer: Redis;
  private readonly reader: Redis;
  private readonly subscriber: Redis;
  private readonly prefix: string;
  private readonly maxLen: number;
  private readonly ttlSeconds: number;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];
  private readonly url: string;
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
    this.streams = new RedisStreamReader({
      reader: this.reader,
      writer: this.writer,
      prefix: this.prefix,
      log,
      deliver: (runId, events) => this.local.publish(runId, events),
    });
    this.maxLen = options.maxLen ?? 10_000;
    this.ttlSeconds = options.ttlSeconds ?? 300;
  }

  get listenerCount(): number {
    return this.local.listenerCount;
  }

  /** The command connection, shared with the send limiter; connected and closed here only. */
  get commands(): { client: Redis; prefix: string } {
    return { client: this.writer, prefix: this.prefix };
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
    this.streams.start();
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
      const reason = cause?.code ?? ((cause ?? (error as Error)).message.split('\n')[0] ?? '').slice(0, 200);
      throw new RedisUnreachableError(`REDIS_URL: cannot reach ${shownUrl(this.url)} (${reason})`);
    } finally {
      for (const client of clients) client.off('error', noteCause);
    }
  }

  /** Needs no answer from Redis: stopping during an outage must not hang. */
  async stop(): Promise<void> {
    // Disconnecting rejects the reader's pending XREAD, which ends its loop.
    const reading = this.streams.stop();
    this.reader.disconnect();
    this.subscriber.disconnect();
    await reading;
    // Publishes still queued go out first when Redis answers; the wake stream is dropped.
    const quit = this.streams
      .dropWakeStream()
      .catch(() => 0)
      .then(() => this.writer.quit());
    if ((await withTimeout(quit.catch(() => undefined), QUIT_TIMEOUT_MS)) === 'timeout') this.writer.disconnect();
  }

  publish(runId: string, events: RunStreamEvent[]): void {
    if (events.length === 0) return;
    this.streams.deliver(runId, events);
    const key = this.streams.streamKey(runId);
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
    this.streams.watch(runId, fromSeq);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.streams.unwatch(runId);
    };
    const events = closingIterator(live[Symbol.asyncIterator](), release);
    return {
      get overflowed() {
        return live.overflowed;
      },
      close() {
        live.close();
        release();
      },
      [Symbol.asyncIterator]: () => events,
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
}
