/**
 * The embedded database on its worker thread: results come back with their
 * types, errors with the fields callers read (code, constraint), and a
 * closed database leaves consistent files that open again.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteThread } from '../src/services/database/pglite-thread.js';

describe('PGlite on its own thread', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-pglite-thread-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('answers queries, keeps error fields, and reopens what it wrote', async () => {
    const db = await PgliteThread.open(dir);
    await db.query('CREATE TABLE t (id int PRIMARY KEY, at timestamptz, doc jsonb, big bigint)');
    const inserted = await db.query('INSERT INTO t VALUES ($1, $2, $3::jsonb, $4) RETURNING *', [1, new Date('2026-01-02T03:04:05Z'), '{"a":[1,2]}', '9007199254740993']);
    expect(inserted.affectedRows).toBe(1);
    expect(inserted.rows).toEqual([{ id: 1, at: new Date('2026-01-02T03:04:05Z'), doc: { a: [1, 2] }, big: '9007199254740993' }]);
    expect(inserted.fields.map((f) => f.name)).toEqual(['id', 'at', 'doc', 'big']);

    const duplicate = await db.query('INSERT INTO t (id) VALUES (1)').catch((error: unknown) => error);
    expect(duplicate).toBeInstanceOf(Error);
    expect(duplicate).toMatchObject({ code: '23505', constraint: 't_pkey' });
    // The thread goes on after an error.
    expect((await db.query('SELECT count(*)::int AS n FROM t')).rows).toEqual([{ n: 1 }]);
    await db.close();
    await expect(db.query('SELECT 1')).rejects.toThrow(/database thread/);

    const again = await PgliteThread.open(dir);
    expect((await again.query('SELECT id FROM t')).rows).toEqual([{ id: 1 }]);
    await again.close();
  });
});
