/**
 * What every example does with chatSteps events, whatever the client
 * library: keep them in its own list keyed by `seq` (not in a normalised
 * cache: all events of one step share its id), drop any event whose seq it
 * already has (graphql-ws clients re-send the original `subscribe`, with the
 * original `after`, when they reconnect), refuse a gap, and render the
 * answer from the text deltas.
 */
import type { ChatStepsSubscription } from './generated/graphql.js';

export type StepEvent = ChatStepsSubscription['chatSteps'];

export class StepLog {
  readonly events: StepEvent[] = [];
  /** Events dropped because their seq had already arrived (replays after a reconnect). */
  duplicates = 0;

  /** The newest seq received: resubscribe with `after: lastSeq`. */
  get lastSeq(): number {
    return this.events.at(-1)?.seq ?? 0;
  }

  get seqs(): number[] {
    return this.events.map((event) => event.seq);
  }

  /** The DoneStep or ErrorStep that ended the run, once it has arrived. */
  get end(): Extract<StepEvent, { __typename: 'DoneStep' | 'ErrorStep' }> | undefined {
    const last = this.events.at(-1);
    return last && (last.__typename === 'DoneStep' || last.__typename === 'ErrorStep') ? last : undefined;
  }

  /** Adds an event; false for a duplicate. A gap is a bug in the server (or in how we subscribed). */
  add(event: StepEvent): boolean {
    if (event.seq <= this.lastSeq) {
      this.duplicates++;
      return false;
    }
    if (event.seq !== this.lastSeq + 1) throw new Error(`gap in the stream: seq ${event.seq} after ${this.lastSeq}`);
    this.events.push(event);
    return true;
  }

  /** The answer as Message.text has it: the non-empty text steps joined by a blank line. */
  get text(): string {
    const steps = new Map<number, string>();
    for (const event of this.events) {
      if (event.__typename === 'TextStep') steps.set(event.index, (steps.get(event.index) ?? '') + event.delta);
    }
    return [...steps.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, value]) => value)
      .filter((value) => value !== '')
      .join('\n\n');
  }
}

/**
 * Whether a subscription that ended with these GraphQL errors is worth
 * resuming: SUBSCRIBER_TOO_SLOW says where to resume (`after`); anything else
 * (NOT_FOUND, UNAUTHENTICATED, ...) will not heal by resubscribing.
 */
export function resumable(errors: readonly { extensions?: Record<string, unknown> }[]): boolean {
  return errors.every((error) => error.extensions?.code === 'SUBSCRIBER_TOO_SLOW');
}
