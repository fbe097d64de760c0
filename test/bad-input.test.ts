/**
 * Bad input: every invalid value is BAD_USER_INPUT with a message naming
 * the field, the server keeps answering, and no row is written or changed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, startServer, type TestServer } from './helpers/server.js';
import { post, sql } from './helpers/rows.js';

const CONVERSATION = 'id title systemPrompt model temperature thinkingEnabled provider { id } updatedAt';
const PROVIDER = 'id name baseUrl defaultModel maxTokens hasApiKey apiKeyHint thinkingParams';

const conversationCases: [string, Record<string, unknown>][] = [
  ['temperature', { temperature: 3 }],
  ['temperature', { temperature: -1 }],
  ['temperature', { temperature: 2.0001 }],
  ['title', { title: 'x'.repeat(201) }],
  ['title', { title: 'y'.repeat(100_000) }],
  ['systemPrompt', { systemPrompt: 'z'.repeat(20_001) }],
  ['model', { model: '' }],
  ['model', { model: 'm'.repeat(201) }],
];

const providerCases: [string, Record<string, unknown>][] = [
  ['baseUrl', { baseUrl: 'ftp://x' }],
  ['baseUrl', { baseUrl: 'not a url' }],
  ['baseUrl', { baseUrl: '' }],
  ['baseUrl', { baseUrl: 'file:///etc/passwd' }],
  ['baseUrl', { baseUrl: 'javascript:alert(1)' }],
  ['baseUrl', { baseUrl: 'https://user:pass@203.0.113.40/v1' }],
  ['baseUrl', { baseUrl: `https://203.0.113.40/${'a'.repeat(2100)}` }],
  ['maxTokens', { maxTokens: 0 }],
  ['maxTokens', { maxTokens: -5 }],
  ['thinkingParams', { thinkingParams: 'reasoning_effort=medium' }],
  ['thinkingParams', { thinkingParams: [1, 2] }],
  ['thinkingParams', { thinkingParams: 42 }],
  ['thinkingParams', { thinkingParams: true }],
  ['thinkingParams', { thinkingParams: { model: 'gpt-evil' } }],
  ['thinkingParams', { thinkingParams: { reasoning_effort: 'high', messages: [] } }],
  ['thinkingParams', { thinkingParams: { stream: false } }],
  ['thinkingParams', { thinkingParams: { tools: [] } }],
  ['thinkingParams', { thinkingParams: { padding: 'p'.repeat(5000) } }],
  ['name', { name: '' }],
  ['name', { name: '   ' }],
  ['name', { name: 'n'.repeat(101) }],
  ['defaultModel', { defaultModel: '' }],
  ['apiKey', { apiKey: '' }],
];

describeEachBackend('bad input', (backend) => {
  let server: TestServer;
  let token: string;
  let conversation: Record<string, unknown>;
  let provider: Record<string, unknown>;

  beforeAll(async () => {
    server = await startServer({ backend });
    token = await server.token('bad-input-user', 1);
    const p = await server.gql(
      `mutation { createProvider(input: { name: "Good", baseUrl: "https://203.0.113.41/v1", apiKey: "sk-good-key-1234", defaultModel: "m", maxTokens: 10, thinkingParams: { reasoning_effort: "low" } }) { ${PROVIDER} } }`,
      {},
      token,
    );
    expect(p.errors).toBeUndefined();
    provider = p.data!.createProvider;
    const c = await server.gql(
      `mutation ($p: ID!) { createConversation(input: { title: "Good", systemPrompt: "sp", providerId: $p, model: "m", temperature: 1, thinkingEnabled: true }) { ${CONVERSATION} } }`,
      { p: provider.id },
      token,
    );
    expect(c.errors).toBeUndefined();
    conversation = c.data!.createConversation;
  });
  afterAll(() => server?.stop());

  async function rowCounts() {
    const [row] = await sql(
      server,
      'SELECT (SELECT count(*)::int FROM conversations) AS conversations, (SELECT count(*)::int FROM providers) AS providers',
    );
    return row;
  }

  /** The request is BAD_USER_INPUT naming `field`, with no payload, and the server answers the next request. */
  async function expectBadInput(query: string, variables: Record<string, unknown>, field: string, label: string) {
    const response = await post(server, query, variables, token);
    expect(response.status, label).toBeLessThan(500);
    expect(response.body.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');
    expect(response.body.errors?.[0]?.message, label).toContain(field);
    expect(response.body.data ?? null, label).toBeNull();
    const alive = await server.gql('{ viewer { username } }', {}, token);
    expect(alive.errors, label).toBeUndefined();
  }

  it('createConversation', async () => {
    const before = await rowCounts();
    for (const [field, input] of conversationCases) {
      await expectBadInput('mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }', { input: { title: 'new', ...input } }, field, `create ${JSON.stringify(input).slice(0, 60)}`);
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('updateConversation', async () => {
    for (const [field, input] of conversationCases) {
      await expectBadInput(
        'mutation ($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id } }',
        // A valid change beside the bad one must not be applied either.
        { id: conversation.id, input: { systemPrompt: 'changed', ...input } },
        field,
        `update ${JSON.stringify(input).slice(0, 60)}`,
      );
    }
    const read = await server.gql(`query ($id: ID!) { conversation(id: $id) { ${CONVERSATION} } }`, { id: conversation.id }, token);
    expect(read.data!.conversation).toEqual(conversation);
  });

  it('createProvider', async () => {
    const before = await rowCounts();
    for (const [field, input] of providerCases) {
      await expectBadInput(
        'mutation ($input: CreateProviderInput!) { createProvider(input: $input) { id } }',
        { input: { name: 'New', baseUrl: 'https://203.0.113.42/v1', defaultModel: 'm', ...input } },
        field,
        `create ${JSON.stringify(input).slice(0, 60)}`,
      );
    }
    expect(await rowCounts()).toEqual(before);
  });

  it('updateProvider', async () => {
    for (const [field, input] of providerCases) {
      await expectBadInput(
        'mutation ($id: ID!, $input: UpdateProviderInput!) { updateProvider(id: $id, input: $input) { id } }',
        { id: provider.id, input: { name: 'Changed', ...input } },
        field,
        `update ${JSON.stringify(input).slice(0, 60)}`,
      );
    }
    const read = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { ${PROVIDER} } } }`, { id: provider.id }, token);
    expect(read.data!.node).toEqual(provider);
  });

  it('a search longer than a title is BAD_USER_INPUT', async () => {
    await expectBadInput('query ($s: String) { conversations(search: $s) { edges { cursor } } }', { s: 's'.repeat(201) }, 'search', 'search');
  });

  it('values of the wrong GraphQL type are refused without a 500', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }', { input: { temperature: 'hot' } }, 'temperature'],
      ['mutation ($input: CreateConversationInput!) { createConversation(input: $input) { id } }', { input: { unknownField: 1 } }, 'unknownField'],
      ['mutation ($input: CreateProviderInput!) { createProvider(input: $input) { id } }', { input: { name: 'x', baseUrl: 'https://203.0.113.43/v1', defaultModel: 'm', maxTokens: 1.5 } }, 'maxTokens'],
      ['mutation ($input: CreateProviderInput!) { createProvider(input: $input) { id } }', { input: { name: 'x', defaultModel: 'm' } }, 'baseUrl'],
      ['mutation ($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id } }', { id: 'x', input: { thinkingEnabled: 'yes' } }, 'thinkingEnabled'],
      ['query ($first: Int) { conversations(first: $first) { edges { cursor } } }', { first: 'ten' }, 'first'],
    ];
    const before = await rowCounts();
    for (const [query, variables, field] of cases) {
      const label = JSON.stringify(variables);
      const response = await post(server, query, variables, token);
      expect(response.status, label).toBeLessThan(500);
      expect(response.body.errors?.[0]?.extensions?.code, label).toBe('BAD_USER_INPUT');
      expect(response.body.errors?.[0]?.message, label).toContain(field);
      expect(response.body.data ?? null, label).toBeNull();
    }
    expect(await rowCounts()).toEqual(before);
    expect((await server.gql('{ viewer { username } }', {}, token)).errors).toBeUndefined();
  });
});
