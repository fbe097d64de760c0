/**
 * A run's stream events: one union discriminated on `type`, named like the
 * stored step. These are what the flusher writes and publishes and what
 * followers replay; thinking and text carry deltas (with the offset of the
 * delta in the step's text, so a follower that joins mid-step knows whether
 * it needs the prefix).
 */
import type { RunEventType, ToolCallFields, ToolResultFields } from '../../entities/index.js';
import type { DoneFields, ErrorFields } from './step-view.js';

interface RunEventBase {
  runId: string;
  seq: number;
  stepId: string;
  index: number;
}

export type RunStreamEvent =
  | (RunEventBase & { type: 'thinking' | 'text'; delta: string; offset: number })
  | (RunEventBase & { type: 'tool_call' } & ToolCallFields)
  | (RunEventBase & { type: 'tool_result' } & ToolResultFields)
  | (RunEventBase & { type: 'done' } & DoneFields)
  | (RunEventBase & { type: 'error' } & ErrorFields);

/** An event before the flusher gives it a seq. */
export type PendingEvent = RunStreamEvent extends infer E ? (E extends RunStreamEvent ? Omit<E, 'seq'> : never) : never;

export const isTerminal = (event: { type: RunEventType }): boolean => event.type === 'done' || event.type === 'error';

/** Splits an event into the stored row's columns. */
export function toRow(event: RunStreamEvent) {
  const { runId, seq, stepId, index, type, ...payload } = event;
  return { run_id: runId, seq, type, step_id: stepId, step_index: index, payload };
}

/** Rebuilds an event from a stored row. */
export function fromRow(row: {
  run_id: string;
  seq: number;
  type: RunEventType;
  step_id: string;
  step_index: number;
  payload: Record<string, unknown>;
}): RunStreamEvent {
  return { ...row.payload, runId: row.run_id, seq: row.seq, type: row.type, stepId: row.step_id, index: row.step_index } as RunStreamEvent;
}
