/**
 * Prometheus metrics (prom-client), one registry per app so two servers in
 * one process keep apart. Services record through this small interface;
 * `GET /metrics` serves the registry.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  readonly registry: Registry;
  runStarted(): void;
  runEnded(outcome: string, seconds: number): void;
  tokens(prompt: number, completion: number): void;
  providerFirstByte(seconds: number): void;
  eventsPublished(count: number, lagSeconds: number): void;
  flushWritten(): void;
  /** Gauges read at scrape time. */
  observe(read: { activeRuns(): number; queuedRuns(): number; subscribers(): number }): void;
}

type Readers = Parameters<Metrics['observe']>[0];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'chat_' });
  let readers: Readers | undefined;
  const recorders = { ...runMetrics(registry), ...deliveryMetrics(registry) };
  registerGauges(registry, () => readers);
  return {
    registry,
    ...recorders,
    observe: (read) => {
      readers = read;
    },
  };
}

/** Runs, their tokens and their providers' latency. */
function runMetrics(registry: Registry): Pick<Metrics, 'runStarted' | 'runEnded' | 'tokens' | 'providerFirstByte'> {
  const runsStarted = new Counter({ name: 'chat_runs_started_total', help: 'Runs started', registers: [registry] });
  const runsEnded = new Counter({
    name: 'chat_runs_ended_total',
    help: 'Runs ended, by outcome (COMPLETED or the RunErrorCode)',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const runDuration = new Histogram({
    name: 'chat_run_duration_seconds',
    help: 'Run duration from start to its terminal event, by outcome',
    labelNames: ['outcome'],
    buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'chat_tokens_total',
    help: 'LLM tokens, by direction (in: prompt, out: completion)',
    labelNames: ['direction'],
    registers: [registry],
  });
  const firstByte = new Histogram({
    name: 'chat_provider_first_byte_seconds',
    help: 'Time from sending a completion request to its first streamed chunk',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });
  return {
    runStarted: () => runsStarted.inc(),
    runEnded: (outcome, seconds) => {
      runsEnded.inc({ outcome });
      runDuration.observe({ outcome }, seconds);
    },
    tokens: (prompt, completion) => {
      tokens.inc({ direction: 'in' }, prompt);
      tokens.inc({ direction: 'out' }, completion);
    },
    providerFirstByte: (seconds) => firstByte.observe(seconds),
  };
}

/** Events on their way to subscribers: written, then published. */
function deliveryMetrics(registry: Registry): Pick<Metrics, 'eventsPublished' | 'flushWritten'> {
  const events = new Counter({ name: 'chat_events_published_total', help: 'Run events published to subscribers', registers: [registry] });
  const lag = new Histogram({
    name: 'chat_event_log_lag_seconds',
    help: 'Time from the oldest output of a flush to its publication (durable, then visible)',
    buckets: [0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [registry],
  });
  const flushes = new Counter({ name: 'chat_flush_writes_total', help: 'Flusher write statements', registers: [registry] });
  return {
    eventsPublished: (count, lagSeconds) => {
      events.inc(count);
      lag.observe(lagSeconds);
    },
    flushWritten: () => flushes.inc(),
  };
}

/** Gauges read at scrape time from whatever `observe` was given (0 before). */
function registerGauges(registry: Registry, readers: () => Readers | undefined): void {
  new Gauge({
    name: 'chat_runs_active',
    help: 'Runs executing on this instance',
    registers: [registry],
    collect() {
      this.set(readers()?.activeRuns() ?? 0);
    },
  });
  new Gauge({
    name: 'chat_runs_queued',
    help: 'Runs waiting for a slot on this instance (MAX_RUNS_IN_FLIGHT)',
    registers: [registry],
    collect() {
      this.set(readers()?.queuedRuns() ?? 0);
    },
  });
  new Gauge({
    name: 'chat_subscribers',
    help: 'chatSteps subscribers attached to this instance',
    registers: [registry],
    collect() {
      this.set(readers()?.subscribers() ?? 0);
    },
  });
}
