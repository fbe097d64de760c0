import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Who gave a conversation its title, so a generated title replaces only
 * the first-line title it started from and never one the user set: the
 * title text alone cannot tell (a user may rename to the same words).
 * Titles stored before are treated as the user's: nothing replaces them.
 */
export class ConversationTitleSource1764640800000 implements MigrationInterface {
  name = 'ConversationTitleSource1764640800000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE conversations ADD COLUMN title_source text
         CONSTRAINT conversations_title_source_check CHECK (title_source IN ('user', 'first-line', 'generated'))`,
    );
    await db.query(`UPDATE conversations SET title_source = 'user' WHERE title IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE conversations DROP COLUMN IF EXISTS title_source`);
  }
}
