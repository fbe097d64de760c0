import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { StoredStep, StoredUsage } from './run.entity.js';

export type MessageRole = 'user' | 'assistant';

/**
 * One turn of a conversation. `position` is a global, ever-growing order
 * (a user message and its run's assistant message share one transaction and
 * so one `now()`; timestamps cannot order them).
 */
@Entity({ name: 'messages' })
export class Message {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'bigint', generated: 'increment', insert: false, update: false })
  position!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ name: 'run_id', type: 'uuid', nullable: true })
  runId!: string | null;

  @Column({ type: 'text' })
  role!: MessageRole;

  @Column({ type: 'text', default: '' })
  text!: string;

  /** Assistant only: the run's coalesced steps by index (no Done/Error). */
  @Column({ type: 'jsonb', default: () => "'[]'::jsonb" })
  steps!: StoredStep[];

  @Column({ name: 'token_count', type: 'integer', nullable: true })
  tokenCount!: number | null;

  @Column({ type: 'jsonb', nullable: true })
  usage!: StoredUsage | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  createdAt!: Date;
}
