import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A new conversation's createdAt and updatedAt are one instant: two
 * clock_timestamp() calls in one INSERT can fall either side of a
 * millisecond (the columns keep milliseconds).
 */
export class ConversationTimestamps1764291600000 implements MigrationInterface {
  name = 'ConversationTimestamps1764291600000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE conversations ALTER COLUMN created_at SET DEFAULT now(), ALTER COLUMN updated_at SET DEFAULT now()`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE conversations ALTER COLUMN created_at SET DEFAULT clock_timestamp(), ALTER COLUMN updated_at SET DEFAULT clock_timestamp()`,
    );
  }
}
