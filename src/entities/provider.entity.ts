import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * An OpenAI-compatible endpoint. `ownerId` null with `shared` true is usable
 * by everyone; `managedBy` marks the rows kept in step with the
 * configuration ('default' from LLM_*, 'demo' for the built-in model).
 */
@Entity({ name: 'providers' })
export class Provider {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ name: 'owner_id', type: 'uuid', nullable: true })
  ownerId!: string | null;

  @Column({ type: 'boolean', default: false })
  shared!: boolean;

  @Column({ name: 'managed_by', type: 'text', nullable: true })
  managedBy!: 'default' | 'demo' | null;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'base_url', type: 'text' })
  baseUrl!: string;

  /** AES-256-GCM ciphertext (`v1:iv:tag:data`, base64 parts); never leaves the server. */
  @Column({ name: 'api_key_ciphertext', type: 'text', nullable: true })
  apiKeyCiphertext!: string | null;

  @Column({ name: 'api_key_hint', type: 'text', nullable: true })
  apiKeyHint!: string | null;

  @Column({ name: 'default_model', type: 'text' })
  defaultModel!: string;

  @Column({ name: 'max_tokens', type: 'integer', nullable: true })
  maxTokens!: number | null;

  @Column({ name: 'thinking_params', type: 'jsonb', nullable: true })
  thinkingParams!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
