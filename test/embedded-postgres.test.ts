/**
 * The embedded PostgreSQL as a server starts it without DATABASE_URL: a
 * real cluster under DATA_DIR, on loopback only, on a port of its own, as an
 * unprivileged user when the server is root, refusing a DATA_DIR that a
 * live server holds, stopping a postmaster a dead server left behind, and
 * saying in one line what it cannot do.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { clusterDirOf, startEmbeddedPostgres, type EmbeddedPostgres } from '../src/services/database/embedded-postgres.js';

const folders: string[] = [];
const running: EmbeddedPostgres[] = [];
/** A DATA_DIR inside a 0700 folder, as `mktemp -d` makes. */
const dataDir = () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-embedded-'));
  folders.push(root);
  return path.join(root, 'data');
};
const start = async (dir: string) => {
  const cluster = await startEmbeddedPostgres(dir);
  running.push(cluster);
  return cluster;
};
async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

afterAll(async () => {
  for (const cluster of running) await cluster.stop();
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

describe('the embedded PostgreSQL', () => {
  it('listens on 127.0.0.1 only, on its own port, beside another cluster, as an unprivileged user', async () => {
    const [a, b] = await Promise.all([start(dataDir()), start(dataDir())]);
    expect(a.port).not.toBe(b.port);
    expect([a.port, b.port]).not.toContain(5432);
    const [settings] = await query<{ listen: string; sockets: string; fsync: string }>(
      a.url,
      `SELECT current_setting('listen_addresses') AS listen, current_setting('unix_socket_directories') AS sockets,
              current_setting('fsync') AS fsync`,
    );
    expect(settings).toEqual({ listen: '127.0.0.1', sockets: '', fsync: 'on' });
    // Password authentication: the URL without it is refused.
    await expect(query(a.url.replace(/:[^:@/]+@/, '@'), 'SELECT 1')).rejects.toThrow();
    const uid = Number(/^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${a.pid}/status`, 'utf8'))![1]);
    if (process.getuid?.() === 0) {
      expect(uid).not.toBe(0);
      expect(a.runningAs).toMatch(/as user/);
    } else expect(uid).toBe(process.getuid?.());
    // Both work at once.
    expect(await query(b.url, 'SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('refuses a DATA_DIR whose PostgreSQL belongs to a live server, in one line', async () => {
    const dir = dataDir();
    await start(dir);
    const refused = await startEmbeddedPostgres(dir).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/is in use by another running server \(pid \d+\)/);
    expect(refused).not.toContain('\n');
  });

  it('stops a postmaster its dead server left behind, and keeps what was committed', async () => {
    const dir = dataDir();
    // A server process that starts the cluster, writes a row, reports the postmaster's pid, then waits to be killed.
    const script = `
      import pg from 'pg';
      import { startEmbeddedPostgres } from './src/services/database/embedded-postgres.ts';
      const cluster = await startEmbeddedPostgres(process.argv[1]);
      const client = new pg.Client(cluster.url);
      await client.connect();
      await client.query('CREATE TABLE kept (note text)');
      await client.query("INSERT INTO kept VALUES ('before the kill')");
      process.stdout.write(cluster.pid + '\\n');
      setInterval(() => {}, 1000);
    `;
    const server = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir], {
      cwd: path.resolve(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const postmaster = await new Promise<number>((resolve, reject) => {
      server.stdout.once('data', (chunk) => resolve(Number(String(chunk).trim())));
      server.once('exit', (code) => reject(new Error(`the server exited with ${code}`)));
    });
    // Held so it cannot stop itself when its server dies (as where no death signal exists), then orphaned.
    process.kill(postmaster, 'SIGSTOP');
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    expect(alive(postmaster)).toBe(true);

    const restarted = await start(dir);
    expect(alive(postmaster)).toBe(false);
    expect(await query(restarted.url, 'SELECT note FROM kept')).toEqual([{ note: 'before the kill' }]);
  });

  it('starts PostgreSQL again on its port when it dies under the server, keeping what was committed', async () => {
    const cluster = await start(dataDir());
    await query(cluster.url, `CREATE TABLE survives (n int); INSERT INTO survives VALUES (1)`);
    const first = cluster.pid;
    process.kill(first, 'SIGKILL');
    await expect.poll(() => cluster.restarts, { timeout: 20_000, interval: 100 }).toBe(1);
    expect(cluster.pid).not.toBe(first);
    expect(await query(cluster.url, 'SELECT n FROM survives')).toEqual([{ n: 1 }]);
  });

  it('says in one line that a DATA_DIR holding PGlite data is not read', async () => {
    const dir = dataDir();
    fs.mkdirSync(path.join(dir, 'pgdata'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'pgdata', 'PG_VERSION'), '17\n');
    const refused = await startEmbeddedPostgres(dir).then(
      () => undefined,
      (error: Error) => error.message,
    );
    expect(refused).toMatch(/holds data of the previous embedded database \(PGlite/);
    expect(refused).not.toContain('\n');
    expect(fs.existsSync(clusterDirOf(dir))).toBe(false);
  });
});
