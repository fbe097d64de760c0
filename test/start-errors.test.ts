/**
 * Every way a start can fail is one line on stderr naming the cause and the
 * variable, with no stack and no JSON, and exits non-zero; the port and the
 * database are checked before anything is opened or migrated. Each case runs
 * the real entry point, as `npm start` does.
 */
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describePostgres } from './helpers/server.js';
import { POSTGRES_ADMIN_URL } from './setup/postgres.js';

const root = path.resolve(import.meta.dirname, '..');
const key = crypto.randomBytes(32).toString('base64');
const PASSWORD = 'hunter2-never-printed';

/** Runs src/main.ts with exactly `env` (plus PATH and HOME), at the default LOG_LEVEL. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? root, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}

/** Asserts the one-line failure naming `variable`; returns the line. */
async function expectOneLine(env: Record<string, string>, variable: string): Promise<string> {
  const { code, stderr, stdout } = await runMain(env);
  const lines = stderr.split('\n').filter((line) => line.trim() !== '');
  expect(code, stderr).not.toBe(0);
  expect(code).not.toBeNull();
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(new RegExp(`^Cannot start: ${variable}: `));
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toContain('{');
  expect(stdout).not.toMatch(/^\s+at /m);
  expect(stdout).not.toMatch(/ready/);
  expect(stdout + stderr).not.toContain(PASSWORD);
  return lines[0]!;
}

/** A port nothing listens on (just freed). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dataDir: string;
beforeAll(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-start-errors-'));
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('a start that fails is one line naming the variable', () => {
  it('DATABASE_URL with a closed port', async () => {
    const port = await closedPort();
    const line = await expectOneLine(
      { DATABASE_URL: `postgres://chat:${PASSWORD}@127.0.0.1:${port}/chat`, ENCRYPTION_KEY: key, DATA_DIR: dataDir },
      'DATABASE_URL',
    );
    expect(line).toContain(`127.0.0.1:${port}`);
    expect(line).toMatch(/refused/);
  });

  it('DATABASE_URL with an unknown host', async () => {
    const line = await expectOneLine(
      { DATABASE_URL: `postgres://chat:${PASSWORD}@no-such-host.invalid:5432/chat`, ENCRYPTION_KEY: key, DATA_DIR: dataDir },
      'DATABASE_URL',
    );
    expect(line).toMatch(/unknown host "no-such-host\.invalid"/);
  });

  it.each([
    ['a port that is not a number', `postgres://chat:${PASSWORD}@127.0.0.1:abc/chat`],
    ['a port out of range', `postgres://chat:${PASSWORD}@127.0.0.1:99999/chat`],
  ])('DATABASE_URL with %s', async (_, url) => {
    const line = await expectOneLine({ DATABASE_URL: url, ENCRYPTION_KEY: key, DATA_DIR: dataDir }, 'DATABASE_URL');
    expect(line).toMatch(/not a valid URL/);
  });

  it('PORT already in use, before the database is opened', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const { port } = busy.address() as net.AddressInfo;
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-run-port-busy-'));
    try {
      const line = await expectOneLine({ PORT: String(port), HOST: '127.0.0.1', DATA_DIR: fresh }, 'PORT');
      expect(line).toContain(`${port} is already in use`);
      // Nothing was opened, created or migrated in DATA_DIR.
      expect(fs.readdirSync(fresh)).toEqual([]);
    } finally {
      busy.close();
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  it('REDIS_URL unreachable', async () => {
    const port = await closedPort();
    const line = await expectOneLine({ REDIS_URL: `redis://:${PASSWORD}@127.0.0.1:${port}`, DATA_DIR: dataDir, PORT: '0' }, 'REDIS_URL');
    expect(line).toMatch(/cannot reach/);
  });

  it('LLM_API_KEY without LLM_MODEL', async () => {
    const line = await expectOneLine({ LLM_API_KEY: PASSWORD, DATA_DIR: dataDir }, 'LLM_MODEL');
    expect(line).toMatch(/LLM_API_KEY/);
  });
});

describePostgres('a start that fails on a reachable PostgreSQL is one line naming DATABASE_URL', () => {
  const url = (user: string | undefined, database: string) => {
    const parsed = new URL(POSTGRES_ADMIN_URL);
    if (user) {
      parsed.username = user;
      parsed.password = PASSWORD;
    }
    parsed.pathname = `/${database}`;
    return parsed.toString();
  };

  it('a missing database', async () => {
    const line = await expectOneLine({ DATABASE_URL: url(undefined, 'chatrun_no_such_database'), ENCRYPTION_KEY: key, DATA_DIR: dataDir }, 'DATABASE_URL');
    expect(line).toMatch(/database "chatrun_no_such_database" does not exist/);
  });

  it('a missing role', async () => {
    const line = await expectOneLine({ DATABASE_URL: url('chatrun_no_such_role', 'postgres'), ENCRYPTION_KEY: key, DATA_DIR: dataDir }, 'DATABASE_URL');
    expect(line).toMatch(/chatrun_no_such_role/);
  });
});
