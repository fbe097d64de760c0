/** The server as a process: it starts on the embedded defaults, stops on signals, and refuses a held DATA_DIR. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ownEmbeddedDatabase, type FreshDatabase } from './helpers/server.js';
import { spawnExpectingFailure, spawnServer, type ServerProcess } from './helpers/process.js';

describe('the server process', () => {
  let database: FreshDatabase;
  let server: ServerProcess;
  beforeAll(async () => {
    database = ownEmbeddedDatabase();
    server = await spawnServer({ DATA_DIR: database.env.DATA_DIR! });
  });
  afterAll(async () => {
    server?.child.kill('SIGKILL');
    await database?.drop();
  });

  it('is healthy and answers the first query in local mode', async () => {
    const health = await fetch(new URL('/health', server.url));
    expect(health.status).toBe(200);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ viewer { username permissionLevel } }' }),
    });
    expect(await response.json()).toEqual({ data: { viewer: { username: 'local', permissionLevel: 10 } } });
    expect(server.output()).toMatch(/local mode/);
  });

  it('refuses a second process on the same DATA_DIR', async () => {
    const second = await spawnExpectingFailure({ DATA_DIR: database.env.DATA_DIR! });
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/DATA_DIR .* is in use by another running server \(pid \d+\)/);
  });

  it('stops within a few seconds on SIGTERM, closing open WebSockets', async () => {
    const socket = new WebSocket(server.url.replace('http', 'ws'), 'graphql-transport-ws');
    await new Promise((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    const started = Date.now();
    server.child.kill('SIGTERM');
    const { code } = await server.exited;
    await closed;
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('refuses a non-loopback HOST in local mode with one clear line', async () => {
    const refused = await spawnExpectingFailure({ DATA_DIR: database.env.DATA_DIR!, HOST: '0.0.0.0' });
    expect(refused.code).toBe(1);
    expect(refused.output).toMatch(/HOST: is 0\.0\.0\.0, but without AUTH_SECRET/);
  });
});
