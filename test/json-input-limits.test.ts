/**
 * Hostile JSON and text in input: a lone surrogate (which PostgreSQL cannot
 * store), a NUL, JSON nested 20,000 deep or a megabyte of it. Every one is
 * BAD_USER_INPUT that stores nothing (they were masked internal errors, or
 * a stored U+FFFD), and the server stays healthy.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openAcked } from './helpers/raw-ws.js';
import { sql, sqlRow } from './helpers/rows.js';
import { describeEachBackend, startServer, type GraphQLResponse, type TestServer } from './helpers/server.js';

const CREATE_PROVIDER = 'mutation ($input: CreateProviderInput!) { createProvider(input: $input) { id } }';
const UPDATE_PROVIDER = 'mutation ($id: ID!, $input: UpdateProviderInput!) { updateProvider(id: $id, input: $input) { id thinkingParams } }';
const CREATE_CONVERSATION = 'mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }';
const UPDATE_CONVERSATION = 'mutation ($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id title systemPrompt model } }';

/** `{"a":{"a":…1…}}`, `depth` objects deep, as JSON text (JSON.stringify would overflow the stack on it). */
const nested = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
/** The same as a GraphQL literal. */
const nestedLiteral = (depth: number) => '{a:'.repeat(depth) + '1' + '}'.repeat(depth);

/** thinkingParams values, as JSON text so that the deepest one can be sent at all. */
const thinkingCases: [string, string][] = [
  ['lone high surrogate in a key', JSON.stringify({ 'effort\ud800': 'high' })],
  ['lone low surrogate in a value', JSON.stringify({ reasoning_effort: 'hi\udc00gh' })],
  ['lone surrogate in a nested array', JSON.stringify({ extra: { list: ['ok', '\udbff'] } })],
  ['NUL in a key', JSON.stringify({ 'a\u0000': 1 })],
  ['NUL in a value', JSON.stringify({ a: 'b\u0000' })],
  ['nested 20,000 deep', nested(20_000)],
  ['nested 33 deep', nested(33)],
  ['a megabyte of string', JSON.stringify({ padding: 'p'.repeat(1_000_000) })],
  ['a megabyte of array', JSON.stringify({ list: new Array(500_000).fill(0) })],
  ['a megabyte of keys', JSON.stringify(Object.fromEntries(Array.from({ length: 60_000 }, (_, i) => [`key${i}`, i])))],
];

describeEachBackend('JSON and text input limits', (backend) => {
  let server: TestServer;
  let token: string;
  let providerId: string;
  let conversationId: string;

  beforeAll(async () => {
    server = await startServer({ backend });
    token = await server.token('json-limits-user', 1);
    const provider = await server.gql(CREATE_PROVIDER, { input: { name: 'Kept', baseUrl: 'https://203.0.113.60/v1', defaultModel: 'm', thinkingParams: { reasoning_effort: 'low' } } }, token);
    expect(provider.errors).toBeUndefined();
    providerId = provider.data!.createProvider.id;
    const conversation = await server.gql(CREATE_CONVERSATION, { input: { title: 'Kept', systemPrompt: 'sp', model: 'm' } }, token);
    expect(conversation.errors).toBeUndefined();
    conversationId = conversation.data!.createConversation.id;
  });
  afterAll(() => server?.stop());

  /** Posts a body given as text. */
  async function postRaw(body: string): Promise<{ status: number; body: GraphQLResponse }> {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body,
    });
    return { status: response.status, body: (await response.json()) as GraphQLResponse };
  }

  async function expectBadInput(response: { status: number; body: GraphQLResponse }, label: string, mentions?: RegExp) {
    expect(response.status, label).toBeLessThan(500);
    expect(response.body.errors?.[0]?.extensions?.code, `${label}: ${response.body.errors?.[0]?.message}`).toBe('BAD_USER_INPUT');
    if (mentions) expect(response.body.errors?.[0]?.message, label).toMatch(mentions);
    expect(response.body.data ?? null, label).toBeNull();
  }

  async function expectHealthy() {
    expect((await fetch(server.url.replace('/graphql', '/health'))).status).toBe(200);
    expect((await server.gql('{ viewer { username } }', {}, token)).errors).toBeUndefined();
  }

  const providerRows = async () =>
    sql(server, `SELECT name, base_url, default_model, thinking_params FROM providers WHERE owner_id IS NOT NULL ORDER BY name`);
  const conversationRows = async () => sql(server, 'SELECT title, system_prompt, model FROM conversations ORDER BY id');

  it('thinkingParams in variables: createProvider and updateProvider answer BAD_USER_INPUT, store nothing', async () => {
    const before = await providerRows();
    for (const [label, json] of thinkingCases) {
      const input = `{"name":"New","baseUrl":"https://203.0.113.61/v1","defaultModel":"m","thinkingParams":${json}}`;
      await expectBadInput(await postRaw(`{"query":${JSON.stringify(CREATE_PROVIDER)},"variables":{"input":${input}}}`), `create: ${label}`, /thinkingParams/);
      const update = `{"id":${JSON.stringify(providerId)},"input":{"name":"Changed","thinkingParams":${json}}}`;
      await expectBadInput(await postRaw(`{"query":${JSON.stringify(UPDATE_PROVIDER)},"variables":${update}}`), `update: ${label}`, /thinkingParams/);
      await expectHealthy();
    }
    expect(await providerRows()).toEqual(before);
  });

  it('says which limit a value broke', async () => {
    const send = (json: string) =>
      postRaw(`{"query":${JSON.stringify(UPDATE_PROVIDER)},"variables":{"id":${JSON.stringify(providerId)},"input":{"thinkingParams":${json}}}}`);
    await expectBadInput(await send(nested(20_000)), 'deep', /nested more than 32 levels/);
    await expectBadInput(await send(JSON.stringify({ padding: 'p'.repeat(1_000_000) })), 'large', /larger than 65536 bytes/);
    await expectBadInput(await send(JSON.stringify({ a: '\ud800' })), 'surrogate', /lone surrogate/);
    await expectBadInput(await send(JSON.stringify({ a: '\u0000' })), 'NUL', /NUL/);
    // Within the limits, the scalar lets the provider's own rules decide: 32 deep is a valid thinkingParams.
    const ok = await send(nested(32));
    expect(ok.body.errors).toBeUndefined();
    await send(JSON.stringify({ reasoning_effort: 'low' }));
  });

  it('thinkingParams as a literal in the document', async () => {
    const literal = (value: string) =>
      postRaw(JSON.stringify({ query: `mutation { updateProvider(id: ${JSON.stringify(providerId)}, input: { thinkingParams: ${value} }) { id } }` }));
    await expectBadInput(await literal(nestedLiteral(40)), 'literal 40 deep', /nested more than 32 levels/);
    await expectBadInput(await literal(`{ padding: ${JSON.stringify('p'.repeat(70_000))} }`), 'literal 70 kB', /larger than 65536 bytes/);
    // 20,000 deep is far beyond the document's token limit: refused while parsing, as too complex.
    const deep = await literal(nestedLiteral(20_000));
    expect(deep.status).toBeLessThan(500);
    expect(deep.body.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
    // GraphQL strings cannot hold a lone surrogate: a syntax error, not an internal one.
    for (const value of ['{ a: "\\uD800" }', '{ a: "\ud800" }']) {
      const response = await literal(value);
      expect(response.status, value).toBeLessThan(500);
      expect(response.body.errors?.[0]?.extensions?.code, value).not.toBe('INTERNAL_SERVER_ERROR');
      expect(response.body.errors?.[0]?.message, value).toMatch(/Syntax Error/);
    }
    await expectHealthy();
  });

  it('JSON nested 20,000 deep where no JSON is expected: BAD_USER_INPUT too', async () => {
    for (const input of [`{"title":${nested(20_000)}}`, `{"title":"t","unknown":${nested(20_000)}}`, `{"title":[${nested(20_000)}]}`]) {
      const response = await postRaw(`{"query":${JSON.stringify(CREATE_CONVERSATION)},"variables":{"input":${input}}}`);
      await expectBadInput(response, input.slice(0, 40));
    }
    await expectHealthy();
  });

  it('thinkingParams nested 20,000 deep over graphql-ws', async () => {
    const socket = await openAcked(server.wsUrl, token);
    try {
      const variables = `{"id":${JSON.stringify(providerId)},"input":{"thinkingParams":${nested(20_000)}}}`;
      socket.send(`{"id":"deep","type":"subscribe","payload":{"query":${JSON.stringify(UPDATE_PROVIDER)},"variables":${variables}}}`);
      const answer = await socket.waitFor((m) => m?.id === 'deep' && (m.type === 'next' || m.type === 'error'));
      const errors = answer?.type === 'next' ? answer.payload.errors : answer?.payload;
      expect(errors?.[0]?.extensions?.code, JSON.stringify(answer)?.slice(0, 300)).toBe('BAD_USER_INPUT');
      expect(errors?.[0]?.message).toMatch(/nested more than 32 levels/);
    } finally {
      socket.ws.close();
    }
    await expectHealthy();
  });

  it('a lone surrogate in any stored string: BAD_USER_INPUT, nothing stored, no U+FFFD', async () => {
    const conversationsBefore = await conversationRows();
    const providersBefore = await providerRows();
    const lone = ['x\ud800', '\udc00', 'a\udbffb'];
    for (const bad of lone) {
      for (const field of ['title', 'systemPrompt', 'model']) {
        const label = `${field} ${JSON.stringify(bad)}`;
        await expectBadInput(await postRaw(JSON.stringify({ query: CREATE_CONVERSATION, variables: { input: { [field]: bad } } })), `create ${label}`, new RegExp(field));
        await expectBadInput(
          await postRaw(JSON.stringify({ query: UPDATE_CONVERSATION, variables: { id: conversationId, input: { title: 'changed', [field]: bad } } })),
          `update ${label}`,
          new RegExp(field),
        );
      }
      const provider = { name: 'New', baseUrl: 'https://203.0.113.62/v1', defaultModel: 'm', apiKey: 'sk-key-0123456789' };
      for (const field of ['name', 'defaultModel', 'apiKey', 'baseUrl']) {
        const value = field === 'baseUrl' ? `https://203.0.113.62/v1/${bad}` : bad;
        const label = `${field} ${JSON.stringify(bad)}`;
        await expectBadInput(await postRaw(JSON.stringify({ query: CREATE_PROVIDER, variables: { input: { ...provider, [field]: value } } })), `create ${label}`, new RegExp(field));
        await expectBadInput(
          await postRaw(JSON.stringify({ query: UPDATE_PROVIDER, variables: { id: providerId, input: { name: 'Changed', [field]: value } } })),
          `update ${label}`,
          new RegExp(field),
        );
      }
    }
    expect(await conversationRows()).toEqual(conversationsBefore);
    expect(await providerRows()).toEqual(providersBefore);
    const { n } = await sqlRow(server, `SELECT count(*)::int AS n FROM conversations WHERE title LIKE '%' || chr(65533) || '%' OR system_prompt LIKE '%' || chr(65533) || '%'`);
    expect(n).toBe(0);
    // Surrogate pairs (emoji) are well-formed and stored as they are.
    const emoji = await server.gql(UPDATE_CONVERSATION, { id: conversationId, input: { title: 'ok 😀', systemPrompt: '𝄞' } }, token);
    expect(emoji.errors).toBeUndefined();
    expect(emoji.data!.updateConversation).toMatchObject({ title: 'ok 😀', systemPrompt: '𝄞' });
    await expectHealthy();
  });
});
