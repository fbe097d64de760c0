import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where a conversation's title came from (null: no title yet). */
export type TitleSource = 'user' | 'first-line' | 'generated';

/** A user's chat. `updatedAt` moves on create, update, each message and each run's end. */
@Entity({ name: 'conversations' })
export class Conversation {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'uuid' })
  userId!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  /** Who set the title: a generated title replaces only a first-line one, never the user's. */
  @Column({ name: 'title_source', type: 'text', nullable: true })
  titleSource!: TitleSource | null;

  @Column({ name: 'system_prompt', type: 'text', nullable: true })
  systemPrompt!: string | null;

  /** null: the server's default provider at the time each run starts. */
  @Column({ name: 'provider_id', type: 'uuid', nullable: true })
  providerId!: string | null;

  @Column({ type: 'text', nullable: true })
  model!: string | null;

  @Column({ type: 'double precision', nullable: true })
  temperature!: number | null;

  @Column({ name: 'thinking_enabled', type: 'boolean', default: false })
  thinkingEnabled!: boolean;

  @Column({ name: 'created_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  createdAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  updatedAt!: Date;
}
