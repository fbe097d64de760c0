/**
 * NODE_ENV=production: no GraphiQL, introspection only with a token, and
 * /metrics only with METRICS_TOKEN (404 otherwise); GRAPHIQL=true and
 * INTROSPECTION=anonymous switch them back on; the "server ready" line
 * says which are on. Development (the default) keeps all three open. In
 * every mode GraphiQL and the chat page are compressed (br, gzip) and carry
 * ETags answered with 304.
 */
import { Writable } from 'node:stream';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createApp, type App } from '../src/server.js';
import { mintToken } from '../src/services/users/auth-service.js';
import { freshDatabase, TEST_SECRET, type FreshDatabase } from './helpers/server.js';

const INTROSPECTION = '{ __schema { queryType { name } } }';
const TYPE_INTROSPECTION = 'query { ...T } fragment T on Query { __type(name: "Query") { name } }';

interface Running {
  base: string;
  ready: Record<string, unknown>;
  gql(query: string, token?: string): Promise<any>;
  token(): Promise<string>;
  stop(): Promise<void>;
}

/** The real server with `env`, its "server ready" log line captured. */
async function start(env: Record<string, string>): Promise<Running> {
  const database: FreshDatabase = await freshDatabase('embedded');
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: TEST_SECRET, DEMO_MODEL: 'false', ...database.env, ...env });
  let app: App | undefined;
  try {
    app = await createApp(config, { logger: createLogger('info', sink) });
    const { port } = await app.start();
    const base = `http://127.0.0.1:${port}`;
    const ready = lines.map((l) => JSON.parse(l)).find((l) => l.msg === 'server ready');
    const running: Running = {
      base,
      ready,
      async gql(query, token) {
        const response = await fetch(`${base}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
          body: JSON.stringify({ query }),
        });
        return response.json();
      },
      token: () => mintToken(TEST_SECRET, { sub: 'prod-user' }),
      async stop() {
        await app?.stop();
        await database.drop();
      },
    };
    return running;
  } catch (error) {
    await app?.stop();
    await database.drop();
    throw error;
  }
}

const getGraphiQL = (base: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/graphql`, { headers: { accept: 'text/html', ...headers } });

describe('production (NODE_ENV=production)', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({ NODE_ENV: 'production' });
  });
  afterAll(() => server?.stop());

  it('serves no GraphiQL: a browser GET gets yoga\'s answer to a GraphQL GET, not the page', async () => {
    // Accept: text/html alone is 406 Not Acceptable; a browser's (with */*) gets a JSON error asking for a query.
    const htmlOnly = await getGraphiQL(server.base);
    expect(htmlOnly.status).toBe(406);
    expect(await htmlOnly.text()).not.toMatch(/graphiql/i);
    const browser = await getGraphiQL(server.base, { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });
    expect(browser.headers.get('content-type')).toContain('json');
    const answer = await browser.json();
    expect(answer.errors?.[0]?.message).toMatch(/query/i);
    expect(JSON.stringify(answer)).not.toMatch(/graphiql/i);
    // GraphQL over GET still works for anything else.
    const get = await fetch(`${server.base}/graphql?query=${encodeURIComponent('{ __typename }')}`);
    expect(await get.json()).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers introspection only with a token', async () => {
    for (const query of [INTROSPECTION, TYPE_INTROSPECTION]) {
      const anonymous = await server.gql(query);
      expect(anonymous.data ?? null, query).toBeNull();
      expect(anonymous.errors?.[0]?.extensions?.code, query).toBe('UNAUTHENTICATED');
    }
    // A refused token says why.
    const refused = await server.gql(INTROSPECTION, 'not-a-jwt');
    expect(refused.errors?.[0]).toMatchObject({ message: expect.stringMatching(/not valid/), extensions: { code: 'UNAUTHENTICATED' } });
    const token = await server.token();
    expect(await server.gql(INTROSPECTION, token)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect(await server.gql(TYPE_INTROSPECTION, token)).toEqual({ data: { __type: { name: 'Query' } } });
    // __typename is not schema introspection.
    expect(await server.gql('{ __typename }')).toEqual({ data: { __typename: 'Query' } });
  });

  it('answers /metrics with 404 without METRICS_TOKEN', async () => {
    expect((await fetch(`${server.base}/metrics`)).status).toBe(404);
  });

  it('says in the start-up line which are on', () => {
    expect(server.ready).toMatchObject({ production: true, graphiql: false, introspection: 'authenticated', metrics: 'off' });
  });
});

describe('production with GRAPHIQL=true, INTROSPECTION=anonymous and METRICS_TOKEN', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({ NODE_ENV: 'production', GRAPHIQL: 'true', INTROSPECTION: 'anonymous', METRICS_TOKEN: 'metrics-secret' });
  });
  afterAll(() => server?.stop());

  it('serves GraphiQL, anonymous introspection, and /metrics behind the token', async () => {
    const page = await getGraphiQL(server.base);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await page.text()).toContain('<title>chat-run-server</title>');
    expect(await server.gql(INTROSPECTION)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect((await fetch(`${server.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
    const metrics = await fetch(`${server.base}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('chat_');
    expect(server.ready).toMatchObject({ production: true, graphiql: true, introspection: 'anonymous', metrics: 'token' });
  });
});

describe('INTROSPECTION=off', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({ INTROSPECTION: 'off' });
  });
  afterAll(() => server?.stop());

  it('refuses introspection to everyone with FORBIDDEN, and other queries still answer', async () => {
    const token = await server.token();
    expect((await server.gql(INTROSPECTION)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql(INTROSPECTION, token)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await server.gql('{ viewer { username } }', token)).data).toEqual({ viewer: { username: 'prod-user' } });
  });
});

describe('development (the default)', () => {
  let server: Running;
  beforeAll(async () => {
    server = await start({});
  });
  afterAll(() => server?.stop());

  it('serves GraphiQL, anonymous introspection and open /metrics, and says so', async () => {
    expect((await getGraphiQL(server.base)).status).toBe(200);
    expect(await server.gql(INTROSPECTION)).toEqual({ data: { __schema: { queryType: { name: 'Query' } } } });
    expect((await fetch(`${server.base}/metrics`)).status).toBe(200);
    expect(server.ready).toMatchObject({ production: false, graphiql: true, introspection: 'anonymous', metrics: 'open' });
  });

  it('compresses GraphiQL with br or gzip, and answers 304 to its ETag', async () => {
    const plain = await getGraphiQL(server.base, { 'accept-encoding': 'identity' });
    expect(plain.headers.get('content-encoding')).toBeNull();
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    const html = Buffer.from(await plain.arrayBuffer());
    expect(html.length).toBeGreaterThan(1_000_000);
    await expectCompressed(`${server.base}/graphql`, html, { accept: 'text/html' });

    const etag = plain.headers.get('etag')!;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await getGraphiQL(server.base, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
    expect((await getGraphiQL(server.base, { 'if-none-match': '"other"' })).status).toBe(200);
  });

  it('compresses the chat page and its assets, with a year of cache for hashed assets and 304 for index.html', async () => {
    const index = await fetch(`${server.base}/`, { headers: { 'accept-encoding': 'identity' } });
    expect(index.status).toBe(200);
    expect(index.headers.get('cache-control')).toBe('no-cache');
    const indexBody = Buffer.from(await index.arrayBuffer());
    const etag = index.headers.get('etag')!;
    expect((await fetch(`${server.base}/`, { headers: { 'if-none-match': etag } })).status).toBe(304);

    // The built page names its script; without a build there is only the short "not built" page.
    const script = /src="(\/assets\/[\w.-]+\.js)"/.exec(indexBody.toString())?.[1];
    if (!script) return;
    await expectCompressed(`${server.base}/`, indexBody, {});
    const asset = await fetch(`${server.base}${script}`, { headers: { 'accept-encoding': 'identity' } });
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const assetBody = Buffer.from(await asset.arrayBuffer());
    await expectCompressed(`${server.base}${script}`, assetBody, {});
  });
});

/**
 * Asks for br and for gzip with a raw request (fetch would decode the body
 * itself), and checks each decompresses to `identity` and is smaller.
 */
async function expectCompressed(url: string, identity: Buffer, headers: Record<string, string>) {
  const http = await import('node:http');
  for (const [encoding, decode] of [
    ['br', zlib.brotliDecompressSync],
    ['gzip', zlib.gunzipSync],
  ] as const) {
    const { status, headers: got, body } = await new Promise<{ status: number; headers: Record<string, any>; body: Buffer }>(
      (resolve, reject) => {
        http
          .get(url, { headers: { ...headers, 'accept-encoding': `${encoding}, identity;q=0.5` } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
          })
          .on('error', reject);
      },
    );
    expect(status, `${url} ${encoding}`).toBe(200);
    expect(got['content-encoding'], `${url} ${encoding}`).toBe(encoding);
    expect(got.vary).toBe('Accept-Encoding');
    expect(body.length).toBeLessThan(identity.length);
    expect(decode(body).equals(identity)).toBe(true);
  }
}
