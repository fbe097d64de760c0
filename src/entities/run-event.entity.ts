import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type RunEventType = 'thinking' | 'text' | 'tool_call' | 'tool_result' | 'done' | 'error';

/**
 * One event of a run's stream, as a subscriber receives it. The flusher
 * merges a tick's deltas of one step into one row and writes every active
 * run's rows of a tick in one statement, so rows grow with time, not tokens.
 */
@Entity({ name: 'run_events' })
export class RunEvent {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' })
  runId!: string;

  @PrimaryColumn({ type: 'integer' })
  seq!: number;

  @Column({ type: 'text' })
  type!: RunEventType;

  @Column({ name: 'step_id', type: 'uuid' })
  stepId!: string;

  @Column({ name: 'step_index', type: 'integer' })
  stepIndex!: number;

  /** The event's fields beyond the common ones (delta, tool call, result, ending). */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;
}
