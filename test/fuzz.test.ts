/**
 * Fuzz: thousands of malformed inputs against one running server, from a
 * seeded PRNG (the seed is printed; SEED=<n> replays a failure). Over HTTP:
 * garbled and oversized documents, unknown fields, wrong variable types,
 * random JSON bodies, wrong content types, GET with bad parameters, and
 * random ids (garbage, base64 of "Type:xyz", SQL-ish, unicode, very long,
 * another user's, another type's) into every id-taking field. Over
 * WebSocket: bad JSON, binary frames, unknown message types, subscribe
 * before connection_init, duplicate ids, oversized frames, random frame
 * sequences. The server must stay up and answer, every HTTP answer must be
 * protocol-correct (never 5xx, errors in a JSON body for a bad request),
 * WebSocket closes must use graphql-ws codes, nothing may answer
 * INTERNAL_SERVER_ERROR, and no half-written rows may be left behind.
 */
import pLimit from 'p-limit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, send, startChatServer } from './helpers/chat.js';
import { openAcked, openRaw } from './helpers/raw-ws.js';
import { unknownId } from './helpers/rows.js';
import { scaled, seededRng, type Rng } from './helpers/scale.js';
import { backends, type Backend, type TestServer } from './helpers/server.js';
import { describe } from 'vitest';

const HTTP_CASES = scaled(2_000, 20_000);
const WS_CASES = scaled(250, 2_500);
const CONCURRENCY = 16;

const TYPES = ['Run', 'Conversation', 'Message', 'User', 'Provider', 'Nope', 'run', ''];
const SQLISH = ["' OR 1=1 --", "1; DROP TABLE runs; --", "'); DELETE FROM messages; --", '" OR ""="', '\\x00', '%', '_', "$1", "' UNION SELECT * FROM users --"];
const UNICODE = ['😀', '\u0000', '\u202e', 'ß', 'İ', '\ud800', '\udfff', '\u2028', '中文', 'é', '\ufeff', '\u0085', '\\u0000'];

function randomString(rng: Rng, max = 40): string {
  const length = rng.int(0, max);
  let out = '';
  for (let i = 0; i < length; i++) {
    const r = rng.next();
    if (r < 0.6) out += String.fromCharCode(rng.int(32, 126));
    else if (r < 0.8) out += rng.pick(UNICODE);
    else out += String.fromCharCode(rng.int(0, 0xffff));
  }
  return out;
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/** Ids no viewer may resolve: garbage, wrong types, SQL-ish, unicode, very long, and real ids of others. */
function randomId(rng: Rng, foreign: string[]): string {
  switch (rng.int(0, 9)) {
    case 0:
      return randomString(rng);
    case 1:
      return b64(`${rng.pick(TYPES)}:${randomString(rng, 12)}`);
    case 2:
      return b64(`${rng.pick(TYPES)}:${crypto.randomUUID()}`);
    case 3:
      return rng.pick(SQLISH);
    case 4:
      return b64(`Run:${rng.pick(SQLISH)}`);
    case 5:
      return 'A'.repeat(rng.int(1_000, 120_000));
    case 6:
      return rng.pick(foreign);
    case 7:
      return crypto.randomUUID();
    case 8:
      return b64(`Conversation:${crypto.randomUUID()}`).replace(/=+$/, '');
    default:
      return rng.pick(UNICODE) + b64(`Run:${crypto.randomUUID()}`);
  }
}

/** A random JSON value (bodies, variables). */
function randomJson(rng: Rng, depth = 0): unknown {
  const r = rng.int(0, depth > 3 ? 4 : 7);
  switch (r) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return rng.pick([0, -1, 1.5, 2 ** 53, -(2 ** 31), 1e308]);
    case 3:
    case 4:
      return randomString(rng);
    case 5:
      return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth + 1));
    default:
      return Object.fromEntries(
        Array.from({ length: rng.int(0, 4) }, () => [
          rng.pick(['query', 'variables', 'operationName', 'extensions', randomString(rng, 8)]),
          randomJson(rng, depth + 1),
        ]),
      );
  }
}

/** Valid documents to garble, and to fill with wrong variables. */
const CORPUS: { query: string; variables: Record<string, unknown> }[] = [
  { query: '{ viewer { id username permissionLevel } }', variables: {} },
  { query: 'query($id: ID!) { node(id: $id) { id __typename } }', variables: { id: 'x' } },
  { query: 'query($id: ID!) { conversation(id: $id) { id title messages(first: 5) { edges { node { id text } } } } }', variables: { id: 'x' } },
  { query: 'query($id: ID!) { run(id: $id) { id status lastSeq error { code } } }', variables: { id: 'x' } },
  { query: 'query($first: Int, $search: String) { conversations(first: $first, search: $search) { edges { cursor node { id } } pageInfo { hasNextPage } } }', variables: { first: 3 } },
  { query: '{ tools { name description } providers { id name } }', variables: {} },
  { query: 'mutation($id: ID!) { cancelRun(id: $id) { id status } }', variables: { id: 'x' } },
  { query: 'mutation($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id title } }', variables: { id: 'x', input: { title: 't' } } },
  { query: 'mutation($id: ID!) { deleteConversation(id: $id) }', variables: { id: 'x' } },
  { query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }', variables: { input: { conversationId: 'x', text: 'hi' } } },
  { query: 'mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }', variables: { input: { title: 'fuzz' } } },
  { query: 'subscription($runId: ID!) { chatSteps(runId: $runId) { __typename } }', variables: { runId: 'x' } },
];

const PUNCTUATION = ['{', '}', '(', ')', ':', '$', '!', '@', '...', '"', '"""', '#', ',', '[', ']', '=', '|', '&', ' ', '\n', 'on', 'fragment', 'query', 'mutation', '__typename'];

function garble(rng: Rng, doc: string): string {
  let out = doc;
  for (let n = rng.int(1, 5); n > 0; n--) {
    const at = rng.int(0, out.length);
    const r = rng.int(0, 3);
    if (r === 0) out = out.slice(0, at) + out.slice(at + rng.int(1, 5));
    else if (r === 1) out = out.slice(0, at) + rng.pick(PUNCTUATION) + out.slice(at);
    else if (r === 2) out = out.slice(0, at) + randomString(rng, 4) + out.slice(at);
    else out = out.slice(at) + out.slice(0, at);
  }
  return out;
}

interface HttpCase {
  name: string;
  method?: string;
  /** Appended to the endpoint URL (GET parameters). */
  search?: string;
  headers?: Record<string, string>;
  body?: string;
  /** 'bad': must answer errors; 'null': must answer data[field] null, no errors; 'notFound': NOT_FOUND; 'any': protocol-correct. */
  expect: 'bad' | 'any' | { null: string } | 'notFound';
}

const json = (payload: unknown) => JSON.stringify(payload);

function httpCase(rng: Rng, foreign: string[], ownConversation: string): HttpCase {
  const kind = rng.int(0, 11);
  switch (kind) {
    case 0: {
      const base = rng.pick(CORPUS);
      return { name: 'garbled document', body: json({ query: garble(rng, base.query), variables: base.variables }), expect: 'any' };
    }
    case 1: {
      const field = `f${randomString(rng, 10).replace(/[^A-Za-z0-9_]/g, '')}x`;
      const query = rng.pick([`{ ${field} }`, `{ viewer { ${field} } }`, `mutation { ${field}(id: "1") }`, `{ conversations { edges { node { ${field} } } } }`]);
      return { name: 'unknown field', body: json({ query }), expect: 'bad' };
    }
    case 2: {
      const base = rng.pick(CORPUS.filter((c) => Object.keys(c.variables).length > 0));
      const variables = Object.fromEntries(Object.keys(base.variables).map((k) => [k, randomJson(rng)]));
      return { name: 'wrong variable types', body: json({ query: base.query, variables }), expect: 'any' };
    }
    case 3: {
      const depth = rng.int(50, 3_000);
      const shape = rng.int(0, 3);
      const query =
        shape === 0
          ? `{ ${'viewer { '.repeat(depth)}id${' }'.repeat(depth)} }`
          : shape === 1
            ? `{ ${Array.from({ length: depth }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`
            : shape === 2
              ? `query { conversations(search: "${'s'.repeat(rng.int(10_000, 1_000_000))}") { edges { node { id } } } }`
              : `{ ${'['.repeat(depth)}`;
      return { name: 'huge or deep document', body: json({ query }), expect: shape === 2 ? 'any' : 'bad' };
    }
    case 4:
      return { name: 'random JSON body', body: json(randomJson(rng)), expect: 'bad' };
    case 5: {
      const contentType = rng.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=zz', 'application/graphql', 'application/json; charset=latin1', '', 'image/png']);
      const body = rng.pick([randomString(rng, 200), 'query=%7Bviewer', `--zz\r\n${randomString(rng, 30)}`, '{"query": "{ nope }"}', '\u0000\u0001']);
      return { name: `content type "${contentType}"`, method: 'POST', headers: contentType ? { 'content-type': contentType } : {}, body, expect: 'any' };
    }
    case 6: {
      const params = new URLSearchParams();
      const r = rng.int(0, 4);
      if (r !== 0) params.set('query', r === 1 ? garble(rng, rng.pick(CORPUS).query) : r === 2 ? 'mutation { deleteConversation(id: "x") }' : '{ viewer { id } }');
      if (r >= 3) params.set('variables', rng.pick(['notjson', '{', '[1]', '"s"', '{"id": ', `x${randomString(rng)}`]));
      if (rng.chance(0.3)) params.set('extensions', rng.pick(['x', '{', '[]']));
      if (rng.chance(0.3)) params.set('operationName', randomString(rng, 10));
      return { name: 'GET with bad parameters', method: 'GET', search: `?${params}`, expect: r === 4 || r === 3 ? 'bad' : 'any' };
    }
    case 7:
    case 8: {
      const field = rng.pick(['node', 'conversation', 'run']);
      return {
        name: `random id into ${field}`,
        body: json({ query: `query($id: ID!) { ${field}(id: $id) { id } }`, variables: { id: randomId(rng, foreign) } }),
        expect: { null: field },
      };
    }
    case 9: {
      const id = randomId(rng, foreign);
      const op = rng.pick([
        { query: 'mutation($id: ID!) { cancelRun(id: $id) { id } }', variables: { id } },
        { query: 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "t" }) { id } }', variables: { id } },
        { query: 'mutation($id: ID!) { deleteConversation(id: $id) }', variables: { id } },
        { query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }', variables: { input: { conversationId: id, text: 'hello' } } },
        { query: 'subscription($id: ID!) { chatSteps(runId: $id) { __typename } }', variables: { id } },
      ]);
      return { name: `random id into ${op.query.slice(0, 30)}`, body: json(op), expect: 'notFound' };
    }
    case 10: {
      // Well-formed operations carrying hostile strings: stored, or refused as bad input; never a crash.
      const value = rng.chance(0.2) ? randomString(rng, 200) + '\u0000' : randomString(rng, 300);
      const op = rng.pick([
        { query: 'mutation($input: CreateConversationInput!) { createConversation(input: $input) { id } }', variables: { input: { title: value, systemPrompt: value } } },
        { query: 'mutation($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id } }', variables: { id: ownConversation, input: { title: value, model: value } } },
        { query: 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }', variables: { input: { text: value, enabledTools: rng.chance(0.5) ? [value] : [], clientMutationId: value } } },
        { query: 'query($s: String) { conversations(first: 2, search: $s, after: $s) { edges { node { id } } } }', variables: { s: value } },
      ]);
      return { name: `hostile strings in ${op.query.slice(0, 40)}`, body: json(op), expect: 'any' };
    }
    default: {
      // Inline literals rather than variables: the lexer sees the garbage.
      const id = randomId(rng, foreign).slice(0, 5_000);
      const field = rng.pick(['node', 'conversation', 'run']);
      return { name: `inline id into ${field}`, body: json({ query: `{ ${field}(id: ${JSON.stringify(id)}) { id } }` }), expect: 'any' };
    }
  }
}

interface HttpOutcome {
  status: number;
  text: string;
  body?: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

function checkHttp(c: HttpCase, outcome: HttpOutcome): string | undefined {
  const { status, body } = outcome;
  if (status >= 500) return `status ${status}`;
  if (![200, 400, 405, 406, 413, 415].includes(status)) return `unexpected status ${status}`;
  // Unsupported media type: yoga answers 415 with no body, as GraphQL over HTTP allows.
  if (status === 415) return outcome.text === '' || body?.errors?.length ? undefined : '415 with a body that holds no errors';
  if (!body) return `a body that is not JSON: ${outcome.text.slice(0, 100)}`;
  const codes = (body.errors ?? []).map((e) => e.extensions?.code);
  if (codes.includes('INTERNAL_SERVER_ERROR') || body.errors?.some((e) => e.message === 'Unexpected error.')) return 'INTERNAL_SERVER_ERROR';
  if (status !== 200 && !body.errors?.length) return `status ${status} without errors`;
  if (!body.errors?.length && body.data == null) return 'neither data nor errors';
  if (c.expect === 'bad' && !body.errors?.length) return 'a bad request answered without errors';
  if (c.expect === 'notFound' && !(codes.length > 0 && codes.every((code) => code === 'NOT_FOUND'))) return `expected NOT_FOUND, got ${codes.join(',') || 'no error'}`;
  if (typeof c.expect === 'object') {
    if (body.errors?.length) return `expected null, got errors ${codes.join(',')}`;
    if (body.data?.[c.expect.null] !== null) return `expected null, got ${JSON.stringify(body.data).slice(0, 100)}`;
  }
  return undefined;
}

type WsExpect = number[];
interface WsCase {
  name: string;
  init: boolean;
  frames: (string | Buffer | Record<string, unknown>)[];
  /** Close codes allowed; include 0 when the socket may stay open. */
  closes: WsExpect;
}

const STAYS_OPEN = 0;

function wsCase(rng: Rng, foreign: string[], activeRunId: string): WsCase {
  const subscribe = (id: unknown, query: string, variables: Record<string, unknown> = {}) => ({ id, type: 'subscribe', payload: { query, variables } });
  switch (rng.int(0, 11)) {
    case 0:
      return { name: 'bad JSON', init: true, frames: [rng.pick(['{', '{"type": ', 'null', '[]', '42', '"ping"', randomString(rng, 50) + '{'])], closes: [4400] };
    case 1:
      return { name: 'binary frame', init: rng.chance(0.5), frames: [Buffer.from(Array.from({ length: rng.int(1, 200) }, () => rng.int(0, 255)).map((b) => (b === 0x7b ? 0 : b)))], closes: [4400] };
    case 2:
      return { name: 'unknown message type', init: true, frames: [{ type: randomString(rng, 12) || 'x', id: '1' }], closes: [4400] };
    case 3:
      // (Rare: graphql-ws logs a stack to stderr for each one.)
      if (!rng.chance(0.15)) return { name: 'unknown message type', init: false, frames: [{ type: randomString(rng, 12) || 'x' }], closes: [4400] };
      // Messages only a server may send: graphql-ws answers 4400 for malformed ones, 4500 for the well-formed ones it rejects late.
      return { name: 'server-only message type', init: true, frames: [rng.pick([{ type: 'next', id: '1', payload: {} }, { type: 'error', id: '1', payload: [] }, { type: 'connection_ack' }])], closes: [4400, 4500] };
    case 4:
      return { name: 'subscribe before connection_init', init: false, frames: [subscribe('1', '{ viewer { id } }')], closes: [4401] };
    case 5: {
      const op = subscribe('dup', 'subscription($r: ID!) { chatSteps(runId: $r) { __typename } }', { r: activeRunId });
      return { name: 'duplicate subscription id', init: true, frames: [op, op], closes: [4409] };
    }
    case 6:
      return { name: 'second connection_init', init: true, frames: [{ type: 'connection_init', payload: {} }], closes: [4429] };
    case 7:
      return {
        name: 'bad connection_init',
        init: false,
        frames: [rng.pick([{ type: 'connection_init', payload: 'x' }, { type: 'connection_init', payload: { authorization: `Bearer ${randomString(rng)}` } }, { type: 'connection_init', payload: { authorization: 42 } }])],
        closes: [4400, 4403],
      };
    case 8:
      return {
        name: 'malformed subscribe',
        init: true,
        frames: [rng.pick([{ type: 'subscribe' }, { type: 'subscribe', id: 5, payload: { query: '{ viewer { id } }' } }, { type: 'subscribe', id: '1', payload: { query: 7 } }, { type: 'subscribe', id: '', payload: null }])],
        closes: [4400],
      };
    case 9: {
      const base = rng.pick(CORPUS);
      const query = rng.chance(0.5) ? garble(rng, base.query) : base.query;
      const variables = rng.chance(0.5) ? Object.fromEntries(Object.keys(base.variables).map((k) => [k, randomId(rng, foreign).slice(0, 2_000)])) : base.variables;
      return { name: 'garbled or foreign operation', init: true, frames: [subscribe(String(rng.int(1, 1e6)), query, variables)], closes: [STAYS_OPEN] };
    }
    case 10:
      return {
        name: 'oversized frame',
        init: true,
        frames: [json(subscribe('big', `{ viewer { id } } #${'x'.repeat(rng.int(2, 4) * 1_000_000)}`))], // over the 1 MiB frame limit
        closes: [1009],
      };
    default: {
      // A random sequence of the above.
      const frames = Array.from({ length: rng.int(1, 6) }, () => {
        const c = wsCase(rng, foreign, activeRunId);
        return c.name === 'oversized frame' ? { type: 'ping' } : rng.pick(c.frames);
      });
      return { name: 'random frame sequence', init: rng.chance(0.7), frames, closes: [STAYS_OPEN, 4400, 4401, 4403, 4409, 4429, 4500] };
    }
  }
}

// One server in npm test (the embedded default); each backend in the soak.
for (const backend of scaled<Backend[]>(['embedded'], backends())) describe(`fuzz [${backend}]`, () => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  let foreign: string[];
  let ownConversation: string;
  let activeRunId: string;
  let fuzzStarted: Date;

  beforeAll(async () => {
    fake = await startFakeLlm({ respond: () => text('Short fuzz answer.') });
    server = await startChatServer(fake, { backend, env: { SEND_RATE_PER_MINUTE: '1000000', MAX_ACTIVE_RUNS_PER_USER: '100000' } });
    token = await server.token('fuzz-user', 1, 'Fuzz');
    // Real ids of another user, and of the wrong type: they must behave exactly like unknown ones.
    const other = await server.token('fuzz-other', 1, 'Other');
    const theirs = await chat(server, other, { text: 'private' });
    const mine = await chat(server, token, { text: 'mine' });
    ownConversation = mine.conversationId;
    foreign = [theirs.runId, theirs.conversationId, theirs.userMessageId, unknownId('Run'), unknownId('Conversation')];
    // One slow run of the viewer's stays active through the fuzz (duplicate-id subscriptions follow it).
    fake.enqueue(text(Array.from({ length: 2_000 }, (_, i) => `slow${i}`).join(' '), { delayMs: 30 }));
    activeRunId = (await send(server, token, { text: 'a long one' })).runId;
    fuzzStarted = new Date();
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it(`${HTTP_CASES} malformed HTTP requests and ${WS_CASES} hostile sockets: protocol-correct answers, no crash, no half-written rows`, { timeout: scaled(120_000, 900_000) }, async () => {
    const rng = seededRng(`fuzz [${backend}]`);
    const limit = pLimit(CONCURRENCY);
    const started = Date.now();
    const failures: string[] = [];
    const httpCases = Array.from({ length: HTTP_CASES }, () => httpCase(rng, foreign, ownConversation));
    await Promise.all(
      httpCases.map((c, i) =>
        limit(async () => {
          const headers: Record<string, string> = { authorization: `Bearer ${token}`, accept: 'application/json' };
          if (c.method !== 'GET' && !c.headers) headers['content-type'] = 'application/json';
          Object.assign(headers, c.headers);
          const response = await fetch(server.url + (c.search ?? ''), { method: c.method ?? 'POST', headers, body: c.method === 'GET' ? undefined : c.body });
          const textBody = await response.text();
          let body: HttpOutcome['body'];
          try {
            body = JSON.parse(textBody);
          } catch {
            body = undefined;
          }
          const problem = checkHttp(c, { status: response.status, text: textBody, body });
          if (problem) failures.push(`http #${i} ${c.name}: ${problem}; request ${(c.search ?? c.body ?? '').slice(0, 160)}; answer ${response.status} ${textBody.slice(0, 200)}`);
        }),
      ),
    );
    const httpMs = Date.now() - started;

    // graphql-ws itself closes with 4500 (and logs to stderr) when a client sends a well-formed
    // message only servers send (next, error, connection_ack): the library's behaviour, counted here.
    let internalCloses = 0;
    const wsCases = Array.from({ length: WS_CASES }, () => wsCase(rng, foreign, activeRunId));
    await Promise.all(
      wsCases.map((c, i) =>
        limit(async () => {
          const socket = c.init ? await openAcked(server.wsUrl, token) : await openRaw(server.wsUrl);
          for (const frame of c.frames) socket.send(frame);
          // Closed by the server, or still open after a while (then nothing more is expected). A case
          // that must close gets as long as a loaded machine needs; an oversized frame takes a while to send.
          const settle = c.closes.includes(STAYS_OPEN) ? 300 : 5_000;
          const outcome = await Promise.race([socket.closed, new Promise<null>((r) => setTimeout(() => r(null), settle))]);
          const code = outcome?.code ?? STAYS_OPEN;
          if (!c.closes.includes(code)) failures.push(`ws #${i} ${c.name}: closed ${code} (${outcome?.reason}), allowed ${c.closes.join('/')}; frames ${JSON.stringify(c.frames.map((f) => (Buffer.isBuffer(f) ? '<binary>' : typeof f === 'string' ? f.slice(0, 80) : f))).slice(0, 300)}`);
          if (code === 4500) internalCloses++;
          const internal = socket.messages.find((m) => JSON.stringify(m).includes('INTERNAL_SERVER_ERROR'));
          if (internal) failures.push(`ws #${i} ${c.name}: INTERNAL_SERVER_ERROR ${JSON.stringify(internal).slice(0, 200)}`);
          // A NOT_FOUND subscription answers once and completes; anything else that answered must be well-formed.
          for (const m of socket.messages) if (typeof m !== 'object' || !m || typeof m.type !== 'string') failures.push(`ws #${i}: malformed server message ${String(m).slice(0, 80)}`);
          socket.ws.terminate();
          await socket.closed;
        }),
      ),
    );
    process.stdout.write(
      `[fuzz [${backend}]] ${HTTP_CASES} HTTP cases in ${httpMs} ms, ${WS_CASES} WebSocket cases in ${Date.now() - started - httpMs} ms, ${failures.length} failures; ${internalCloses} closes with graphql-ws's 4500 for server-only message types\n`,
    );
    expect(failures.slice(0, 20)).toEqual([]);

    // Still up, still answering, still chatting.
    expect((await fetch(`http://127.0.0.1:${server.port}/health`)).status).toBe(200);
    expect((await server.gql('{ viewer { username } }', {}, token)).data?.viewer.username).toBe('Fuzz');
    const after = await chat(server, token, { text: 'still there?' });
    expect(after.last.__typename).toBe('DoneStep');

    // No half-written rows. Let the runs the fuzz started finish (and stop the slow one).
    await server.gql('mutation($id: ID!) { cancelRun(id: $id) { status } }', { id: activeRunId }, token);
    await expect.poll(() => server.app.services.executor.activeCount, { timeout: 20_000 }).toBe(0);
    const q = (sql: string, params: unknown[] = []) => server.app.database.dataSource.query(sql, params) as Promise<any[]>;
    expect(await q(`SELECT r.id FROM runs r LEFT JOIN messages m ON m.id = r.user_message_id
                    WHERE m.id IS NULL OR m.role <> 'user' OR m.conversation_id <> r.conversation_id`)).toEqual([]);
    expect(await q(`SELECT id, status FROM runs WHERE status IN ('QUEUED', 'RUNNING')`)).toEqual([]);
    expect(await q(`SELECT m.id FROM messages m WHERE m.role = 'assistant'
                    AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.assistant_message_id = m.id)`)).toEqual([]);
    expect(await q(`SELECT m.id FROM messages m WHERE m.role = 'user'
                    AND NOT EXISTS (SELECT 1 FROM runs r WHERE r.user_message_id = m.id)`)).toEqual([]);
    expect(await q(`SELECT m.id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.user_id <> c.user_id`)).toEqual([]);
    expect(await q(`SELECT r.id FROM runs r WHERE r.finished_at IS NULL
                    OR r.last_seq <> (SELECT count(*) FROM run_events e WHERE e.run_id = r.id)
                    OR r.last_seq <> coalesce((SELECT max(seq) FROM run_events e WHERE e.run_id = r.id), 0)`)).toEqual([]);
    expect(await q(`SELECT r.id FROM runs r WHERE r.last_seq > 0 AND NOT EXISTS
                    (SELECT 1 FROM run_events e WHERE e.run_id = r.id AND e.seq = r.last_seq AND e.type IN ('done', 'error'))`)).toEqual([]);
    expect(await q(`SELECT id FROM runs WHERE status = 'COMPLETED' AND assistant_message_id IS NULL`)).toEqual([]);
    expect(await q(`SELECT id FROM runs WHERE started_at < $1 AND status IN ('QUEUED', 'RUNNING')`, [fuzzStarted])).toEqual([]);
    const [{ count }] = await q(`SELECT count(*)::int AS count FROM runs`);
    process.stdout.write(`[fuzz [${backend}]] ${count} runs stored, all consistent; ${Date.now() - started} ms in all\n`);
  });
});
