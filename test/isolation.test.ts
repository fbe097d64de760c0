/**
 * The isolation matrix: another user's ids, ids of the wrong type, malformed
 * ids and unknown ids all behave exactly alike: null from nullable queries,
 * the same NOT_FOUND from mutations, nothing changed, never a 500.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, startServer, type TestServer } from './helpers/server.js';
import { base64, insertFinishedRun, insertMessage, post, unknownId, userRowId } from './helpers/rows.js';

const CONVERSATION_FIELDS = 'id title systemPrompt model temperature thinkingEnabled provider { id } updatedAt';
const PROVIDER_FIELDS = 'id name baseUrl defaultModel maxTokens hasApiKey apiKeyHint shared thinkingParams';

describeEachBackend('isolation', (backend) => {
  let server: TestServer;
  let alice: string;
  let bob: string;
  /** Alice's rows, as global ids. */
  const a = { conversation: '', provider: '', message: '', run: '', user: '' };
  let aliceConversation: Record<string, unknown>;
  let aliceProvider: Record<string, unknown>;
  let bobConversation: string;

  /** Ids that are not of the given type or that nobody has: each must behave like Alice's ids do for Bob. */
  const foreign = (typename: 'Conversation' | 'Provider' | 'Run') => {
    const wrongType = typename === 'Provider' ? a.conversation : a.provider;
    return {
      [`alice's ${typename}`]: { Conversation: a.conversation, Provider: a.provider, Run: a.run }[typename],
      'wrong type': wrongType,
      "alice's message": a.message,
      "alice's user": a.user,
      garbage: 'garbage',
      empty: '',
      'base64 of Type:123': base64(`${typename}:123`),
      'base64 of Type:': base64(`${typename}:`),
      'base64 of an unknown type': base64(`Secret:${crypto.randomUUID()}`),
      'uuid without a type': crypto.randomUUID(),
      'unknown uuid': unknownId(typename),
      'very long': 'x'.repeat(10_000),
    };
  };

  beforeAll(async () => {
    server = await startServer({ backend });
    alice = await server.token('iso-alice', 1, 'Alice');
    bob = await server.token('iso-bob', 1, 'Bob');
    const provider = await server.gql(
      `mutation ($input: CreateProviderInput!) { createProvider(input: $input) { ${PROVIDER_FIELDS} } }`,
      {
        input: {
          name: 'Alice private',
          baseUrl: 'https://203.0.113.10/v1',
          apiKey: 'sk-alice-secret-key-0001',
          defaultModel: 'alice-model',
          maxTokens: 123,
          thinkingParams: { reasoning_effort: 'high' },
        },
      },
      alice,
    );
    expect(provider.errors).toBeUndefined();
    aliceProvider = provider.data!.createProvider;
    a.provider = aliceProvider.id as string;
    const conversation = await server.gql(
      `mutation ($input: CreateConversationInput!) { createConversation(input: $input) { ${CONVERSATION_FIELDS} } }`,
      {
        input: {
          title: 'Alice secret plans',
          systemPrompt: 'be brief',
          providerId: a.provider,
          model: 'm',
          temperature: 0.5,
          thinkingEnabled: true,
        },
      },
      alice,
    );
    expect(conversation.errors).toBeUndefined();
    aliceConversation = conversation.data!.createConversation;
    a.conversation = aliceConversation.id as string;
    const aliceRow = await userRowId(server, 'iso-alice');
    a.message = await insertMessage(server, { conversationId: a.conversation, userId: aliceRow, role: 'user', text: 'hello' });
    a.run = await insertFinishedRun(server, { conversationId: a.conversation, userId: aliceRow, userMessageId: a.message });
    a.user = (await server.gql('{ viewer { id } }', {}, alice)).data!.viewer.id;
    const own = await server.gql('mutation { createConversation(input: { title: "Bob own" }) { id } }', {}, bob);
    bobConversation = own.data!.createConversation.id;
  });
  afterAll(() => server?.stop());

  /** Alice still sees her rows exactly as created. */
  async function aliceSeesEverythingUnchanged() {
    const read = await server.gql(
      `query ($c: ID!, $p: ID!, $m: ID!, $r: ID!) {
        conversation(id: $c) { ${CONVERSATION_FIELDS} }
        provider: node(id: $p) { ... on Provider { ${PROVIDER_FIELDS} } }
        message: node(id: $m) { id ... on Message { text } }
        run(id: $r) { id status }
      }`,
      { c: a.conversation, p: a.provider, m: a.message, r: a.run },
      alice,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data).toEqual({
      conversation: aliceConversation,
      provider: aliceProvider,
      message: { id: a.message, text: 'hello' },
      run: { id: a.run, status: 'COMPLETED' },
    });
  }

  it('alice sees her own rows through node, conversation and run', async () => {
    await aliceSeesEverythingUnchanged();
    const node = await server.gql(
      'query ($c: ID!, $u: ID!) { c: node(id: $c) { __typename } u: node(id: $u) { __typename } }',
      { c: a.conversation, u: a.user },
      alice,
    );
    expect(node.data).toEqual({ c: { __typename: 'Conversation' }, u: { __typename: 'User' } });
  });

  describe('nullable queries answer null', () => {
    it('node', async () => {
      const ids = { ...foreign('Conversation'), ...foreign('Provider'), ...foreign('Run'), "alice's run": a.run };
      for (const [name, id] of Object.entries(ids)) {
        const response = await post(server, 'query ($id: ID!) { node(id: $id) { __typename id } }', { id }, bob);
        expect(response.status, name).toBe(200);
        expect(response.body, name).toEqual({ data: { node: null } });
      }
    });

    it('conversation', async () => {
      for (const [name, id] of Object.entries(foreign('Conversation'))) {
        const response = await post(server, 'query ($id: ID!) { conversation(id: $id) { id title } }', { id }, bob);
        expect(response.status, name).toBe(200);
        expect(response.body, name).toEqual({ data: { conversation: null } });
      }
    });

    it('run', async () => {
      for (const [name, id] of Object.entries(foreign('Run'))) {
        const response = await post(server, 'query ($id: ID!) { run(id: $id) { id status } }', { id }, bob);
        expect(response.status, name).toBe(200);
        expect(response.body, name).toEqual({ data: { run: null } });
      }
    });

    it("a valid id of one's own resolves while alice's stays hidden in the same request", async () => {
      const response = await server.gql(
        'query ($mine: ID!, $hers: ID!) { mine: conversation(id: $mine) { id } hers: conversation(id: $hers) { id } }',
        { mine: bobConversation, hers: a.conversation },
        bob,
      );
      expect(response).toEqual({ data: { mine: { id: bobConversation }, hers: null } });
    });
  });

  describe('mutations answer the same NOT_FOUND and change nothing', () => {
    /** Runs `query` for every id and checks one NOT_FOUND message for all. */
    async function expectUniformNotFound(query: string, ids: Record<string, string>, extra: Record<string, unknown> = {}) {
      const messages = new Set<string>();
      for (const [name, id] of Object.entries(ids)) {
        const response = await post(server, query, { id, ...extra }, bob);
        expect(response.status, name).toBe(200);
        expect(response.body.errors?.length, name).toBe(1);
        expect(response.body.errors?.[0]?.extensions?.code, name).toBe('NOT_FOUND');
        // Every mutation field is non-null: the error nulls the whole response.
        expect(response.body.data ?? null, name).toBeNull();
        messages.add(response.body.errors![0]!.message);
      }
      expect([...messages]).toHaveLength(1);
      return [...messages][0]!;
    }

    it('updateConversation', async () => {
      const message = await expectUniformNotFound(
        'mutation ($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id title } }',
        foreign('Conversation'),
        { input: { title: 'hacked', systemPrompt: null, providerId: null, temperature: 2 } },
      );
      expect(message).not.toMatch(/[0-9a-f]{8}-/);
      await aliceSeesEverythingUnchanged();
    });

    it('deleteConversation', async () => {
      await expectUniformNotFound('mutation ($id: ID!) { deleteConversation(id: $id) }', foreign('Conversation'));
      await aliceSeesEverythingUnchanged();
    });

    it('updateProvider', async () => {
      await expectUniformNotFound(
        'mutation ($id: ID!, $input: UpdateProviderInput!) { updateProvider(id: $id, input: $input) { id name } }',
        foreign('Provider'),
        { input: { name: 'hacked', apiKey: null, baseUrl: 'https://203.0.113.66/v1' } },
      );
      await aliceSeesEverythingUnchanged();
    });

    it('deleteProvider', async () => {
      await expectUniformNotFound('mutation ($id: ID!) { deleteProvider(id: $id) }', foreign('Provider'));
      await aliceSeesEverythingUnchanged();
    });

    it('createConversation with a provider bob cannot see', async () => {
      const before = await server.gql('{ conversations { edges { node { id } } } }', {}, bob);
      await expectUniformNotFound(
        'mutation ($id: ID!) { createConversation(input: { title: "with foreign provider", providerId: $id }) { id } }',
        foreign('Provider'),
      );
      const after = await server.gql('{ conversations { edges { node { id } } } }', {}, bob);
      expect(after.data).toEqual(before.data);
      const rows = await server.app.database.dataSource.query(
        `SELECT count(*)::int AS n FROM conversations WHERE title = 'with foreign provider'`,
      );
      expect(rows[0].n).toBe(0);
    });

    it("updateConversation of bob's own conversation to a provider bob cannot see", async () => {
      const before = await server.gql(`query ($id: ID!) { conversation(id: $id) { ${CONVERSATION_FIELDS} } }`, { id: bobConversation }, bob);
      const mutation =
        'mutation ($own: ID!, $id: ID!) { updateConversation(id: $own, input: { title: "changed", providerId: $id }) { id } }';
      const messages = new Set<string>();
      for (const [name, id] of Object.entries(foreign('Provider'))) {
        const response = await post(server, mutation, { own: bobConversation, id }, bob);
        expect(response.body.errors?.[0]?.extensions?.code, name).toBe('NOT_FOUND');
        messages.add(response.body.errors![0]!.message);
      }
      expect(messages.size).toBe(1);
      const after = await server.gql(`query ($id: ID!) { conversation(id: $id) { ${CONVERSATION_FIELDS} } }`, { id: bobConversation }, bob);
      expect(after.data).toEqual(before.data);
    });
  });

  it('shared providers resolve through node() for everyone', async () => {
    const shared = (await server.gql('{ providers { id name shared } }', {}, alice)).data!.providers.filter((p: { shared: boolean }) => p.shared);
    expect(shared.length).toBeGreaterThan(0);
    for (const provider of shared) {
      const response = await server.gql('query ($id: ID!) { node(id: $id) { __typename id ... on Provider { name } } }', { id: provider.id }, bob);
      expect(response.data!.node).toEqual({ __typename: 'Provider', id: provider.id, name: provider.name });
    }
  });

  it("bob's lists never show alice's rows", async () => {
    const conversations = await server.gql('{ conversations(first: 100) { edges { node { id title } } } }', {}, bob);
    expect(conversations.data?.conversations.edges).toEqual([{ node: { id: bobConversation, title: 'Bob own' } }]);
    const searched = await server.gql('{ conversations(search: "secret") { edges { node { id } } } }', {}, bob);
    expect(searched.data?.conversations.edges).toEqual([]);
    const providers = await server.gql('{ providers { id name shared } }', {}, bob);
    const ids = providers.data!.providers.map((p: { id: string }) => p.id);
    expect(ids).not.toContain(a.provider);
    expect(providers.data!.providers.every((p: { shared: boolean }) => p.shared)).toBe(true);
    // And alice's list does show them (the test would be vacuous otherwise).
    const hers = await server.gql('{ providers { id } conversations { edges { node { id } } } }', {}, alice);
    expect(hers.data!.providers.map((p: { id: string }) => p.id)).toContain(a.provider);
    expect(hers.data!.conversations.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([a.conversation]);
  });
});
