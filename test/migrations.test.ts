/**
 * Migrations from nothing: openDatabase on an empty PGlite folder and on an
 * empty PostgreSQL database creates every table and the partial unique index
 * that allows one active run per conversation; opening again changes nothing.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openDatabase, type DatabaseOptions } from '../src/services/database/data-source.js';
import { describeEachBackend } from './helpers/server.js';
import { adminQuery, databaseUrl } from './setup/postgres.js';

const TABLES = ['conversations', 'messages', 'providers', 'run_events', 'runs', 'settings', 'users'];

describeEachBackend('migrations from empty', (backend) => {
  it('creates every table and index, and a second open is a no-op', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-migrate-'));
    const name = `chatrun_empty_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
    const options: DatabaseOptions = { dataDir };
    if (backend === 'postgres') {
      await adminQuery(`CREATE DATABASE ${name}`);
      options.databaseUrl = databaseUrl(name);
    }
    try {
      const first = await openDatabase(options);
      let migrationsRun: number;
      try {
        const tables = await first.dataSource.query(
          `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
        );
        const names = tables.map((t: { table_name: string }) => t.table_name);
        // Later migrations may add tables; these must be there.
        expect(names).toEqual(expect.arrayContaining([...TABLES, 'migrations']));

        const [index] = await first.dataSource.query(
          `SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'runs_one_active_per_conversation'`,
        );
        expect(index?.indexdef).toMatch(/CREATE UNIQUE INDEX .* ON public\.runs .*\(conversation_id\) WHERE/);
        expect(index?.indexdef).toMatch(/QUEUED/);
        expect(index?.indexdef).toMatch(/RUNNING/);

        // The index does its job: a second active run in one conversation is refused, finished ones are not.
        const db = first.dataSource;
        const [user] = await db.query(`INSERT INTO users (subject, username) VALUES ('m', 'm') RETURNING id`);
        const [conversation] = await db.query(`INSERT INTO conversations (user_id) VALUES ($1) RETURNING id`, [user.id]);
        const [message] = await db.query(
          `INSERT INTO messages (conversation_id, user_id, role, text) VALUES ($1, $2, 'user', 'hi') RETURNING id`,
          [conversation.id, user.id],
        );
        const insertRun = (status: string) =>
          db.query(`INSERT INTO runs (conversation_id, user_id, user_message_id, status) VALUES ($1, $2, $3, $4)`, [
            conversation.id,
            user.id,
            message.id,
            status,
          ]);
        await insertRun('COMPLETED');
        await insertRun('FAILED');
        await insertRun('RUNNING');
        await expect(insertRun('QUEUED')).rejects.toThrow(/runs_one_active_per_conversation|duplicate key/);
        await insertRun('CANCELLED');

        // A send counts the user's active runs through an index, not a scan of every run ever made.
        const plan = await db.transaction(async (tx) => {
          await tx.query('SET LOCAL enable_seqscan = off');
          return tx.query(
            `EXPLAIN SELECT count(*) FROM runs WHERE user_id = $1 AND status IN ('QUEUED', 'RUNNING')`,
            [user.id],
          );
        });
        expect(plan.map((row: { 'QUERY PLAN': string }) => row['QUERY PLAN']).join('\n')).toMatch(/runs_active_user_idx/);

        [{ n: migrationsRun }] = await db.query(`SELECT count(*)::int AS n FROM migrations`);
        expect(migrationsRun).toBeGreaterThan(0);
      } finally {
        await first.close();
      }

      const statements: string[] = [];
      const second = await openDatabase({ ...options, onQuery: (sql) => statements.push(sql) });
      try {
        expect(statements.filter((sql) => /^\s*(CREATE|ALTER|DROP)\b/i.test(sql))).toEqual([]);
        const [{ n }] = await second.dataSource.query(`SELECT count(*)::int AS n FROM migrations`);
        expect(n).toBe(migrationsRun);
        const [{ runs }] = await second.dataSource.query(`SELECT count(*)::int AS runs FROM runs`);
        expect(runs).toBe(4);
      } finally {
        await second.close();
      }
    } finally {
      if (backend === 'postgres') await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
