/**
 * GET /health tells the truth: 503 while the database cannot be reached,
 * 200 again once it is back, and the server keeps serving what needs no
 * database meanwhile. The outage is a TCP proxy in front of PostgreSQL that
 * drops every connection and refuses new ones, or holds every byte.
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, freshDatabase, ownEmbeddedDatabase, startServer, type FreshDatabase, type TestServer } from './helpers/server.js';
import { startTcpProxy, throughProxy, type TcpProxy } from './helpers/tcp-proxy.js';

/** Processes whose parent is `pid` (from /proc). */
function childrenOf(pid: number): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

const healthOf = async (server: TestServer) => {
  const response = await fetch(new URL('/health', server.url));
  return { status: response.status, body: (await response.json()) as { status: string } };
};

describeEachBackend('/health while PostgreSQL goes away and comes back', (backend) => {
  let database: FreshDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  beforeAll(async () => {
    database = await freshDatabase(backend);
    const upstream = new URL(database.url!);
    proxy = await startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) });
    const proxied = throughProxy(database.url!, proxy);
    server = await startServer({ backend, database: { ...database, env: { ...database.env, DATABASE_URL: proxied } } });
  });
  afterAll(async () => {
    proxy?.refuse(false);
    await server?.stop();
    await proxy?.close();
    await database?.drop();
  });

  it('is 200, then 503 while the database is unreachable, then 200 again', async () => {
    expect(await healthOf(server)).toEqual({ status: 200, body: { status: 'ok' } });

    proxy.refuse(true);
    proxy.cut();
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 10_000, interval: 200 }).toBe(503);
    expect((await healthOf(server)).body).toEqual({ status: 'database unreachable' });

    // What needs no database is still served.
    expect((await fetch(new URL('/', server.url))).status).toBe(200);
    const typename = await server.gql('{ __typename }', {}, null);
    expect(typename).toEqual({ data: { __typename: 'Query' } });

    proxy.refuse(false);
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(200);
    // And the database is used again, through new connections.
    const token = await server.token('health-user');
    const viewer = await server.gql('{ viewer { id } }', {}, token);
    expect(viewer.errors).toBeUndefined();
  });

  it('is 503 while the database accepts connections but does not answer, then 200 again', async () => {
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(200);
    proxy.hold(true);
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 10_000, interval: 200 }).toBe(503);
    proxy.hold(false);
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(200);
  });
});

describe('/health while the embedded PostgreSQL is stopped, restarted and killed under a running server', () => {
  let database: FreshDatabase;
  let server: TestServer;
  beforeAll(async () => {
    database = ownEmbeddedDatabase();
    server = await startServer({ database });
  });
  afterAll(async () => {
    await server?.stop();
    await database?.drop();
  });

  it('is 503 while its postmaster is stopped, 200 once it runs again, and 200 after it was killed and restarted', async () => {
    const embedded = server.app.database.embedded!;
    expect(await healthOf(server)).toEqual({ status: 200, body: { status: 'ok' } });
    // The whole cluster (the postmaster and every backend, each its own process group) stops answering.
    const cluster = [embedded.pid, ...childrenOf(embedded.pid)];
    for (const pid of cluster) process.kill(pid, 'SIGSTOP');
    try {
      await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(503);
    } finally {
      for (const pid of cluster) process.kill(pid, 'SIGCONT');
    }
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(200);

    // Killed: the server starts it again on its port, and its pool reconnects.
    process.kill(embedded.pid, 'SIGKILL');
    await expect.poll(() => embedded.restarts, { timeout: 20_000, interval: 100 }).toBe(1);
    await expect.poll(async () => (await healthOf(server)).status, { timeout: 15_000, interval: 200 }).toBe(200);
    const answer = await server.gql('{ viewer { id } }', {}, await server.token('after-restart'));
    expect(answer.errors).toBeUndefined();
  });
});
