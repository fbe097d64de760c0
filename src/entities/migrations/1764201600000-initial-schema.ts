import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema: users, providers, conversations, messages, runs and their events. */
export class InitialSchema1764201600000 implements MigrationInterface {
  name = 'InitialSchema1764201600000';

  async up(db: QueryRunner): Promise<void> {
    await this.usersAndProviders(db);
    await this.conversations(db);
    await this.messagesAndRuns(db);
    await this.eventsAndSettings(db);
  }

  private async usersAndProviders(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        subject text NOT NULL UNIQUE,
        username text NOT NULL,
        permission_level integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE providers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        owner_id uuid REFERENCES users(id) ON DELETE CASCADE,
        shared boolean NOT NULL DEFAULT false,
        managed_by text UNIQUE CHECK (managed_by IN ('default', 'demo')),
        name text NOT NULL,
        base_url text NOT NULL,
        api_key_ciphertext text,
        api_key_hint text,
        default_model text NOT NULL,
        max_tokens integer,
        thinking_params jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (shared OR owner_id IS NOT NULL)
      )`);
    await db.query(`CREATE INDEX providers_owner_idx ON providers (owner_id)`);
  }

  private async conversations(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE conversations (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title text,
        system_prompt text,
        provider_id uuid REFERENCES providers(id) ON DELETE SET NULL,
        model text,
        temperature double precision CHECK (temperature BETWEEN 0 AND 2),
        thinking_enabled boolean NOT NULL DEFAULT false,
        -- Millisecond precision: keyset cursors carry these through JavaScript Dates exactly.
        created_at timestamptz(3) NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz(3) NOT NULL DEFAULT clock_timestamp()
      )`);
    // The conversation list: a user's conversations, newest update first, keyset on (updated_at, id).
    await db.query(
      `CREATE INDEX conversations_user_updated_idx ON conversations (user_id, updated_at DESC, id DESC)`,
    );
    await db.query(`CREATE INDEX conversations_provider_idx ON conversations (provider_id)`);
  }

  /** Messages and runs point at each other: the messages' foreign key to runs follows both tables. */
  private async messagesAndRuns(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE messages (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        position bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        run_id uuid,
        role text NOT NULL CHECK (role IN ('user', 'assistant')),
        text text NOT NULL DEFAULT '',
        steps jsonb NOT NULL DEFAULT '[]'::jsonb,
        token_count integer,
        usage jsonb,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    // A conversation's messages in order (and the last one, for previews).
    await db.query(`CREATE INDEX messages_conversation_position_idx ON messages (conversation_id, position)`);
    await db.query(`
      CREATE TABLE runs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        conversation_id uuid NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        user_message_id uuid NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        assistant_message_id uuid REFERENCES messages(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'QUEUED'
          CHECK (status IN ('QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED', 'INTERRUPTED')),
        iterations integer NOT NULL DEFAULT 0,
        usage jsonb,
        error_code text,
        error_message text,
        last_seq integer NOT NULL DEFAULT 0,
        enabled_tools jsonb NOT NULL DEFAULT '[]'::jsonb,
        thinking_enabled boolean NOT NULL DEFAULT false,
        client_mutation_id text,
        owner_instance text,
        heartbeat_at timestamptz,
        started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        finished_at timestamptz
      )`);
    await db.query(
      `ALTER TABLE messages ADD CONSTRAINT messages_run_fk FOREIGN KEY (run_id) REFERENCES runs(id) ON DELETE SET NULL`,
    );
    // At most one active run per conversation, enforced by the database itself.
    await db.query(
      `CREATE UNIQUE INDEX runs_one_active_per_conversation ON runs (conversation_id) WHERE status IN ('QUEUED', 'RUNNING')`,
    );
    // The sweep: active runs by owner and heartbeat.
    await db.query(
      `CREATE INDEX runs_active_owner_idx ON runs (owner_instance, heartbeat_at) WHERE status IN ('QUEUED', 'RUNNING')`,
    );
    await db.query(`CREATE INDEX runs_conversation_idx ON runs (conversation_id, started_at)`);
    await db.query(
      `CREATE INDEX runs_client_mutation_idx ON runs (user_id, client_mutation_id, started_at) WHERE client_mutation_id IS NOT NULL`,
    );
  }

  private async eventsAndSettings(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE run_events (
        run_id uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        seq integer NOT NULL CHECK (seq > 0),
        type text NOT NULL CHECK (type IN ('thinking', 'text', 'tool_call', 'tool_result', 'done', 'error')),
        step_id uuid NOT NULL,
        step_index integer NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (run_id, seq)
      )`);
    await db.query(`
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['settings', 'run_events', 'messages', 'runs', 'conversations', 'providers', 'users']) {
      await db.query(`DROP TABLE IF EXISTS ${table} CASCADE`);
    }
  }
}
