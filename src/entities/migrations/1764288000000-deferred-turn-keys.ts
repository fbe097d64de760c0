import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A turn's user message, run and assistant message point at each other.
 * Checking those keys at commit lets sendMessage write them in two
 * statements instead of inserting with nulls and patching afterwards.
 */
export class DeferredTurnKeys1764288000000 implements MigrationInterface {
  name = 'DeferredTurnKeys1764288000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE messages ALTER CONSTRAINT messages_run_fk DEFERRABLE INITIALLY DEFERRED`);
    await db.query(`ALTER TABLE runs ALTER CONSTRAINT runs_user_message_id_fkey DEFERRABLE INITIALLY DEFERRED`);
    await db.query(`ALTER TABLE runs ALTER CONSTRAINT runs_assistant_message_id_fkey DEFERRABLE INITIALLY DEFERRED`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE messages ALTER CONSTRAINT messages_run_fk NOT DEFERRABLE`);
    await db.query(`ALTER TABLE runs ALTER CONSTRAINT runs_user_message_id_fkey NOT DEFERRABLE`);
    await db.query(`ALTER TABLE runs ALTER CONSTRAINT runs_assistant_message_id_fkey NOT DEFERRABLE`);
  }
}
