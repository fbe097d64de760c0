import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every send counts the user's active runs (the per-user limit and a busy
 * conversation): without an index that was a scan of every run ever made.
 */
export class ActiveRunsByUser1764374400000 implements MigrationInterface {
  name = 'ActiveRunsByUser1764374400000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX runs_active_user_idx ON runs (user_id) WHERE status IN ('QUEUED', 'RUNNING')`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX IF EXISTS runs_active_user_idx`);
  }
}
