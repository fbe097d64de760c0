/**
 * Authentication over HTTP and WebSocket: bearer JWTs (HS256 with
 * AUTH_SECRET), users created on first sight, graphql-ws 4403 on a refused
 * or expired token, and single-user local mode.
 */
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { mintToken } from '../src/services/users/auth-service.js';
import { codeOf, describeEachBackend, startServer, TEST_SECRET, type TestServer } from './helpers/server.js';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Signs arbitrary claims with `secret` (HS256), for tokens mintToken cannot make. */
async function sign(claims: Record<string, unknown>, options: { sub?: string; exp?: number | null; secret?: string } = {}) {
  let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (options.sub !== undefined) jwt = jwt.setSubject(options.sub);
  if (options.exp !== null) jwt = jwt.setExpirationTime(options.exp ?? nowSeconds() + 3600);
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_SECRET));
}

/** Posts a query with a raw Authorization header value. */
async function withHeader(server: TestServer, authorization: string, query = '{ viewer { username } }') {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', authorization },
    body: JSON.stringify({ query }),
  });
  return { status: response.status, body: (await response.json()) as { data?: any; errors?: any[] } };
}

interface RawSocketResult {
  acked: boolean;
  code: number;
  reason: string;
  /** ms from open to close. */
  closedAfterMs: number;
}

/**
 * Opens a raw graphql-transport-ws socket, sends connection_init with `payload`
 * and resolves when the server closes it (or after `holdMs` once acknowledged,
 * closing it ourselves with 1000).
 */
function rawConnection(server: TestServer, payload: Record<string, unknown> | undefined, holdMs = 10_000): Promise<RawSocketResult> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    let acked = false;
    let openedAt = Date.now();
    let hold: NodeJS.Timeout | undefined;
    socket.on('open', () => {
      openedAt = Date.now();
      socket.send(JSON.stringify(payload === undefined ? { type: 'connection_init' } : { type: 'connection_init', payload }));
    });
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') {
        acked = true;
        hold = setTimeout(() => socket.close(1000, 'test done'), holdMs);
      }
    });
    socket.on('close', (code, reason) => {
      clearTimeout(hold);
      resolve({ acked, code, reason: reason.toString(), closedAfterMs: Date.now() - openedAt });
    });
    socket.on('error', reject);
  });
}

describeEachBackend('auth', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ backend });
  });
  afterAll(() => server?.stop());

  describe('HTTP', () => {
    it('answers a query for a valid token', async () => {
      const token = await server.token('auth-valid', 1, 'Valid User');
      const response = await server.gql('{ viewer { id username permissionLevel } }', {}, token);
      expect(response.errors).toBeUndefined();
      expect(response.data?.viewer).toMatchObject({ username: 'Valid User', permissionLevel: 1 });
      expect(typeof response.data?.viewer.id).toBe('string');
    });

    it('without a token answers only __typename and introspection', async () => {
      expect(await server.gql('{ __typename }', {}, null)).toEqual({ data: { __typename: 'Query' } });
      expect(await server.gql('{ __schema { queryType { name } } }', {}, null)).toEqual({
        data: { __schema: { queryType: { name: 'Query' } } },
      });
      expect(await server.gql('{ __type(name: "Conversation") { name } }', {}, null)).toEqual({
        data: { __type: { name: 'Conversation' } },
      });
      const fields = [
        '{ viewer { username } }',
        '{ conversations { edges { node { id } } } }',
        '{ conversation(id: "x") { id } }',
        '{ run(id: "x") { id } }',
        '{ node(id: "x") { id } }',
        '{ providers { id } }',
        'mutation { createConversation(input: { title: "nope" }) { id } }',
        'mutation { deleteConversation(id: "x") }',
        'mutation { createProvider(input: { name: "p", baseUrl: "https://example.com/v1", defaultModel: "m" }) { id } }',
      ];
      for (const query of fields) {
        const response = await server.gql(query, {}, null);
        expect(codeOf(response), query).toBe('UNAUTHENTICATED');
        expect(JSON.stringify(response.data ?? null), query).not.toMatch(/"id":"/);
      }
      const count = await server.app.database.dataSource.query(`SELECT count(*)::int AS n FROM conversations WHERE title = 'nope'`);
      expect(count[0].n).toBe(0);
    });

    it('refuses malformed headers, foreign signatures, expired tokens and tokens without exp', async () => {
      const valid = await server.token('auth-bad-cases');
      const cases: Record<string, string> = {
        basic: 'Basic x',
        'basic with a valid jwt': `Basic ${valid}`,
        'not a jwt': 'Bearer not-a-jwt',
        'bearer without token': 'Bearer',
        'another secret': `Bearer ${await mintToken('another-secret-that-is-also-32-characters-long', { sub: 'auth-bad-cases' })}`,
        'expired (past timestamp)': `Bearer ${await mintToken(TEST_SECRET, { sub: 'auth-bad-cases', expiresIn: nowSeconds() - 60 })}`,
        'expired (signed by hand)': `Bearer ${await sign({ preferred_username: 'x' }, { sub: 'auth-bad-cases', exp: nowSeconds() - 1 })}`,
        'no exp': `Bearer ${await sign({ preferred_username: 'x' }, { sub: 'auth-bad-cases', exp: null })}`,
        'no sub': `Bearer ${await sign({ preferred_username: 'x' })}`,
        'permission_level not a number': `Bearer ${await sign({ permission_level: '10' }, { sub: 'auth-bad-cases' })}`,
        'permission_level negative': `Bearer ${await sign({ permission_level: -1 }, { sub: 'auth-bad-cases' })}`,
        'alg none': `Bearer ${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(
          JSON.stringify({ sub: 'auth-bad-cases', exp: nowSeconds() + 3600, permission_level: 10 }),
        ).toString('base64url')}.`,
      };
      for (const [name, header] of Object.entries(cases)) {
        const { status, body } = await withHeader(server, header);
        expect(status, name).toBeLessThan(500);
        expect(body.errors?.[0]?.extensions?.code, name).toBe('UNAUTHENTICATED');
        // viewer is User!: the error nulls the whole response.
        expect(body.data ?? null, name).toBeNull();
      }
      // Introspection still answers with a refused token (GraphiQL needs it).
      const { body } = await withHeader(server, 'Bearer not-a-jwt', '{ __typename }');
      expect(body).toEqual({ data: { __typename: 'Query' } });
      // None of the refused tokens created a user.
      const rows = await server.app.database.dataSource.query(`SELECT count(*)::int AS n FROM users WHERE subject = 'auth-bad-cases'`);
      expect(rows[0].n).toBe(0);
    });

    it('refuses a numeric sub and still accepts the same digits as a string', async () => {
      const asString = await sign({ preferred_username: 'digits' }, { sub: '123' });
      const accepted = await server.gql('{ viewer { id username } }', {}, asString);
      expect(accepted.errors).toBeUndefined();
      expect(accepted.data?.viewer.username).toBe('digits');
      for (const sub of [123, 0, true, ['123'], { id: '123' }, '']) {
        const { status, body } = await withHeader(server, `Bearer ${await sign({ sub, preferred_username: 'numeric' })}`);
        expect(status, JSON.stringify(sub)).toBeLessThan(500);
        expect(body.errors?.[0]?.extensions?.code, JSON.stringify(sub)).toBe('UNAUTHENTICATED');
        expect(body.data ?? null, JSON.stringify(sub)).toBeNull();
      }
      // The numeric token neither renamed the string's user nor created one.
      const rows = await server.app.database.dataSource.query(`SELECT subject, username FROM users WHERE subject IN ('123', '0', '')`);
      expect(rows).toEqual([{ subject: '123', username: 'digits' }]);
    });

    it('says why an expired token is refused', async () => {
      const expired = await mintToken(TEST_SECRET, { sub: 'auth-expired', expiresIn: nowSeconds() - 10 });
      const response = await server.gql('{ viewer { username } }', {}, expired);
      expect(codeOf(response)).toBe('UNAUTHENTICATED');
      expect(response.errors?.[0]?.message).toMatch(/expired/i);
    });

    it('creates the user row on first sight and keeps its id stable', async () => {
      const before = await server.app.database.dataSource.query(`SELECT id FROM users WHERE subject = 'auth-first-sight'`);
      expect(before).toEqual([]);
      const token = await server.token('auth-first-sight', 1, 'First Sight');
      const first = await server.gql('{ viewer { id username } }', {}, token);
      const second = await server.gql('{ viewer { id username } }', {}, await server.token('auth-first-sight', 1, 'First Sight'));
      expect(first.data?.viewer.id).toBeTruthy();
      expect(second.data?.viewer.id).toBe(first.data?.viewer.id);
      const rows = await server.app.database.dataSource.query(
        `SELECT id, username, permission_level FROM users WHERE subject = 'auth-first-sight'`,
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ username: 'First Sight', permission_level: 1 });
      // The viewer's id is a global id of that row, and node() finds it.
      const node = await server.gql('query ($id: ID!) { node(id: $id) { __typename id ... on User { username } } }', { id: first.data?.viewer.id }, token);
      expect(node.data?.node).toEqual({ __typename: 'User', id: first.data?.viewer.id, username: 'First Sight' });
    });

    it('takes the username from preferred_username, then name, then sub', async () => {
      const both = await sign({ preferred_username: 'pref', name: 'Full Name' }, { sub: 'auth-names-1' });
      const nameOnly = await sign({ name: 'Only Name' }, { sub: 'auth-names-2' });
      const neither = await sign({}, { sub: 'auth-names-3' });
      expect((await server.gql('{ viewer { username } }', {}, both)).data?.viewer.username).toBe('pref');
      expect((await server.gql('{ viewer { username } }', {}, nameOnly)).data?.viewer.username).toBe('Only Name');
      expect((await server.gql('{ viewer { username } }', {}, neither)).data?.viewer.username).toBe('auth-names-3');
      // An empty or non-string preferred_username is no name: fall back to name.
      const emptyPreferred = await sign({ preferred_username: '', name: 'Fallback Name' }, { sub: 'auth-names-4' });
      expect((await server.gql('{ viewer { username } }', {}, emptyPreferred)).data?.viewer.username).toBe('Fallback Name');
      const numericPreferred = await sign({ preferred_username: 42, name: 'Numeric Fallback' }, { sub: 'auth-names-5' });
      expect((await server.gql('{ viewer { username } }', {}, numericPreferred)).data?.viewer.username).toBe('Numeric Fallback');
    });

    it('reflects permission_level (default 1) and follows changes of the claims', async () => {
      const noLevel = await sign({ preferred_username: 'lvl' }, { sub: 'auth-level' });
      const first = await server.gql('{ viewer { id permissionLevel } }', {}, noLevel);
      expect(first.data?.viewer.permissionLevel).toBe(1);
      const admin = await server.gql('{ viewer { id username permissionLevel } }', {}, await server.token('auth-level', 10, 'Renamed'));
      expect(admin.data?.viewer).toEqual({ id: first.data?.viewer.id, username: 'Renamed', permissionLevel: 10 });
      const rows = await server.app.database.dataSource.query(`SELECT username, permission_level FROM users WHERE subject = 'auth-level'`);
      expect(rows).toEqual([{ username: 'Renamed', permission_level: 10 }]);
      const five = await server.gql('{ viewer { permissionLevel } }', {}, await server.token('auth-level', 5, 'Renamed'));
      expect(five.data?.viewer.permissionLevel).toBe(5);
    });
  });

  describe('WebSocket', () => {
    it('closes connection_init without a token with 4403', async () => {
      expect(await rawConnection(server, undefined)).toMatchObject({ acked: false, code: 4403 });
      expect(await rawConnection(server, {})).toMatchObject({ acked: false, code: 4403 });
    });

    it('closes connection_init with a bad or expired token with 4403', async () => {
      const payloads = [
        { authorization: 'Bearer not-a-jwt' },
        { authorization: 'Basic x' },
        { authorization: 42 },
        { authorization: `Bearer ${await mintToken('another-secret-that-is-also-32-characters-long', { sub: 'ws-bad' })}` },
        { authorization: `Bearer ${await mintToken(TEST_SECRET, { sub: 'ws-bad', expiresIn: nowSeconds() - 60 })}` },
      ];
      for (const payload of payloads) {
        expect(await rawConnection(server, payload), JSON.stringify(payload)).toMatchObject({ acked: false, code: 4403 });
      }
    });

    it('closes connection_init with a numeric sub with 4403 and accepts the string', async () => {
      const numeric = await sign({ sub: 123, preferred_username: 'numeric' });
      expect(await rawConnection(server, { authorization: `Bearer ${numeric}` })).toMatchObject({ acked: false, code: 4403 });
      const asString = await sign({ preferred_username: 'ws-digits' }, { sub: '456' });
      expect(await rawConnection(server, { authorization: `Bearer ${asString}` }, 100)).toMatchObject({ acked: true, code: 1000 });
    });

    it('reports 4403 to a graphql-ws client with a bad token', async () => {
      const client = server.ws('not-a-jwt');
      const closed = new Promise<number>((resolve) => client.on('closed', (event) => resolve((event as { code: number }).code)));
      const error = await new Promise<unknown>((resolve) => {
        client.subscribe({ query: '{ viewer { username } }' }, { next: () => {}, error: resolve, complete: () => resolve(undefined) });
      });
      expect((error as { code?: number } | undefined)?.code).toBe(4403);
      expect(await closed).toBe(4403);
    });

    it('runs a query for a valid token', async () => {
      const client = server.ws(await server.token('ws-valid', 3, 'Socket User'));
      const results = [];
      for await (const result of client.iterate({ query: '{ viewer { username permissionLevel } }' })) results.push(result);
      expect(results).toEqual([{ data: { viewer: { username: 'Socket User', permissionLevel: 3 } } }]);
    });

    it('closes an open socket with 4403 when its token expires', async () => {
      const exp = nowSeconds() + 2;
      const token = await mintToken(TEST_SECRET, { sub: 'ws-expiring', expiresIn: exp });
      const startedAt = Date.now();
      const result = await rawConnection(server, { authorization: `Bearer ${token}` });
      expect(result.acked).toBe(true);
      expect(result.code).toBe(4403);
      const closedAt = startedAt + result.closedAfterMs;
      // At expiry: not before it (100 ms for clock rounding), and not long after (2.5 s of slack for a loaded machine).
      expect(closedAt).toBeGreaterThanOrEqual(exp * 1000 - 100);
      expect(closedAt).toBeLessThan(exp * 1000 + 2500);
    });

    it('keeps a socket whose token is still valid open', async () => {
      const token = await server.token('ws-long');
      const result = await rawConnection(server, { authorization: `Bearer ${token}` }, 300);
      expect(result).toMatchObject({ acked: true, code: 1000 });
    });
  });
});

describeEachBackend('auth in local mode', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ backend, local: true });
  });
  afterAll(() => server?.stop());

  it('needs no token: the viewer is the local admin', async () => {
    const first = await server.gql('{ viewer { id username permissionLevel } }', {}, null);
    expect(first.errors).toBeUndefined();
    expect(first.data?.viewer).toMatchObject({ username: 'local', permissionLevel: 10 });
    const second = await server.gql('{ viewer { id } }', {}, null);
    expect(second.data?.viewer.id).toBe(first.data?.viewer.id);
    const created = await server.gql('mutation { createConversation(input: { title: "local" }) { id } }', {}, null);
    expect(created.errors).toBeUndefined();
  });

  it('accepts a WebSocket without a token', async () => {
    const client = server.ws(null);
    const results = [];
    for await (const result of client.iterate({ query: '{ viewer { username permissionLevel } }' })) results.push(result);
    expect(results).toEqual([{ data: { viewer: { username: 'local', permissionLevel: 10 } } }]);
  });
});
