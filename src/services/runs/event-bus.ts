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
}

export interface EventBus {
  publish(runId: string, events: RunStreamEvent[]): void;
  /** Starts buffering the run's events now; iterate to read them. */
  listen(runId: string): LiveEvents;
  /** Subscribers attached on this instance (metrics, leak checks). */
  readonly listenerCount: number;
}

export class InProcessEventBus implements EventBus {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private listeners = 0;

  get listenerCount(): number {
    return this.listeners;
  }

  publish(runId: string, events: RunStreamEvent[]): void {
    if (events.length > 0) this.emitter.emit(runId, events);
  }

  listen(runId: string): LiveEvents {
    const buffer: RunStreamEvent[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const onEvents = (events: RunStreamEvent[]) => {
      buffer.push(...events);
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
      async *[Symbol.asyncIterator]() {
        try {
          while (!closed) {
            if (buffer.length === 0) {
              await new Promise<void>((resolve) => {
                wake = resolve;
              });
              wake = undefined;
              continue;
            }
            yield buffer.shift()!;
          }
        } finally {
          close();
        }
      },
    };
  }
}
