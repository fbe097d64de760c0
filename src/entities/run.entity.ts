import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type RunStatus = 'QUEUED' | 'RUNNING' | 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'INTERRUPTED';
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['QUEUED', 'RUNNING'];

export type RunErrorCode =
  | 'PROVIDER_ERROR'
  | 'RATE_LIMITED'
  | 'AUTHENTICATION'
  | 'TIMEOUT'
  | 'MAX_ITERATIONS'
  | 'CONTEXT_LENGTH'
  | 'CANCELLED'
  | 'INTERRUPTED'
  | 'INTERNAL';

export interface StoredUsage {
  promptTokens: number;
  completionTokens: number;
  totalTokens: number;
  reasoningTokens: number | null;
}

/** What a tool call step holds. */
export interface ToolCallFields {
  /** The provider's tool call id. */
  toolCallId: string;
  name: string;
  /** Raw JSON text as the model produced it (may be invalid). */
  arguments: string;
}

/** What a tool result step holds. */
export interface ToolResultFields {
  toolCallId: string;
  /** The tool call step this answers. */
  callStepId: string;
  name: string;
  /** What was fed back to the model. */
  content: string;
  success: boolean;
  durationMs: number;
}

/** What every step carries: its stable id, its place in the run, the seq of its (last) event. */
export interface StepPosition {
  id: string;
  index: number;
  seq: number;
}

/** A step as kept in `Message.steps`: whole text, the seq of its last event. */
export type StoredStep =
  | (StepPosition & { type: 'thinking' | 'text'; content: string })
  | (StepPosition & { type: 'tool_call' } & ToolCallFields)
  | (StepPosition & { type: 'tool_result' } & ToolResultFields);

/**
 * One execution of the agent loop for one user message. At most one run per
 * conversation is QUEUED or RUNNING (a partial unique index says so). The
 * owner instance and heartbeat let a sweep on any instance find runs whose
 * process is gone.
 */
@Entity({ name: 'runs' })
export class Run {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'user_message_id', type: 'uuid' })
  userMessageId!: string;

  @Column({ name: 'assistant_message_id', type: 'uuid', nullable: true })
  assistantMessageId!: string | null;

  @Column({ type: 'text', default: 'QUEUED' })
  status!: RunStatus;

  @Column({ type: 'integer', default: 0 })
  iterations!: number;

  @Column({ type: 'jsonb', nullable: true })
  usage!: StoredUsage | null;

  @Column({ name: 'error_code', type: 'text', nullable: true })
  errorCode!: RunErrorCode | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ name: 'last_seq', type: 'integer', default: 0 })
  lastSeq!: number;

  /** Tool names offered to the model in this run, after permission filtering. */
  @Column({ name: 'enabled_tools', type: 'jsonb', default: () => "'[]'::jsonb" })
  enabledTools!: string[];

  @Column({ name: 'thinking_enabled', type: 'boolean', default: false })
  thinkingEnabled!: boolean;

  @Column({ name: 'client_mutation_id', type: 'text', nullable: true })
  clientMutationId!: string | null;

  @Column({ name: 'owner_instance', type: 'text', nullable: true })
  ownerInstance!: string | null;

  @Column({ name: 'heartbeat_at', type: 'timestamptz', nullable: true })
  heartbeatAt!: Date | null;

  @Column({ name: 'started_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  startedAt!: Date;

  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true })
  finishedAt!: Date | null;
}
