/**
 * Live delivery of a run's events to followers on this instance. The
 * in-process bus is the default; a Redis implementation of the same
 * interface lets followers on other instances see the events too.
 *
 * Hand-written rather than yoga's pubsub: its subscriptions attach their
 * listener lazily, on the first pull, so events published between
 * "subscribe" and "replay from storage" would slip past; `listen` here is
 * attached the moment it returns.
 */
import { EventEmitter } from 'node:events';
import type { RunStreamEvent } from './run-event.js';

export interface LiveEvents extends AsyncIterable<RunStreamEvent> {
  close(): void;
  /** The reader fell too far behind: buffered events were dropped and the listener closed. */
  readonly overflowed: boolean;
}

/** Thrown by a listener whose reader fell more than its bound behind the live stream. */
export class ListenerOverflowError extends Error {
  constructor() {
    super('the listener fell too far behind');
  }
}

export interface EventBus {
  publish(runId: string, events: RunStreamEvent[]): void;
  /**
   * Starts buffering the run's events now; iterate to read them. A reader
   * more than `maxBuffered` events behind gets ListenerOverflowError instead
   * of an ever-growing buffer.
   */
  listen(runId: string, maxBuffered?: number, fromSeq?: number): LiveEvents;
  /** Subscribers attached on this instance (metrics, leak checks). */
  readonly listenerCount: number;
  /** Asks whichever instance executes the run to cancel it. */
  requestCancel(runId: string): Promise<void>;
  onCancelRequest(handler: (runId: string) => void): void;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private listeners = 0;
  private readonly cancelHandlers: ((runId: string) => void)[] = [];

  get listenerCount(): number {
    return this.listeners;
  }

  publish(runId: string, events: RunStreamEvent[]): void {
    if (events.length > 0) this.emitter.emit(runId, events);
  }

  /** In one process the executor is right here. */
  async requestCancel(runId: string): Promise<void> {
    for (const handler of this.cancelHandlers) handler(runId);
  }

  onCancelRequest(handler: (runId: string) => void): void {
    this.cancelHandlers.push(handler);
  }

  listen(runId: string, maxBuffered = Number.POSITIVE_INFINITY): LiveEvents {
    let buffer: RunStreamEvent[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    let overflowed = false;
    const onEvents = (events: RunStreamEvent[]) => {
      buffer.push(...events);
      if (buffer.length > maxBuffered) {
        overflowed = true;
        buffer = [];
        close();
      }
      wake?.();
    };
    this.emitter.on(runId, onEvents);
    this.listeners++;
    const close = () => {
      if (closed) return;
      closed = true;
      this.emitter.off(runId, onEvents);
      this.listeners--;
      wake?.();
    };
    return {
      close,
      get overflowed() {
        return overflowed;
      },
      async *[Symbol.asyncIterator]() {
        try {
          while (!closed || buffer.length > 0) {
            const [next] = buffer;
            if (next === undefined) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = undefined;
              continue;
            }
            buffer.shift();
            yield next;
          }
          if (overflowed) throw new ListenerOverflowError();
        } finally {
          close();
        }
      },
    };
  }
}
