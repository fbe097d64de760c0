/**
 * Conversation CRUD round trips: every field on create, update semantics
 * (omitted stays, explicit null clears), delete with its messages, and a
 * deleted provider falling back to the default.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeEachBackend, startServer, type TestServer } from './helpers/server.js';
import { insertFinishedRun, insertMessage, rowIdOf, sql, userRowId } from './helpers/rows.js';

const FIELDS = 'id title systemPrompt model temperature thinkingEnabled provider { id name } createdAt updatedAt';
const CREATE = `mutation ($input: CreateConversationInput!) { createConversation(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { ${FIELDS} } }`;
const READ = `query ($id: ID!) { conversation(id: $id) { ${FIELDS} } }`;
const DELETE = 'mutation ($id: ID!) { deleteConversation(id: $id) }';

describeEachBackend('conversations', (backend) => {
  let server: TestServer;
  let token: string;
  let provider: { id: string; name: string };

  beforeAll(async () => {
    server = await startServer({ backend });
    token = await server.token('conv-user', 1, 'Conv User');
    const created = await server.gql(
      'mutation { createProvider(input: { name: "Mine", baseUrl: "https://203.0.113.20/v1", defaultModel: "x" }) { id name } }',
      {},
      token,
    );
    expect(created.errors).toBeUndefined();
    provider = created.data!.createProvider;
  });
  afterAll(() => server?.stop());

  async function create(input: Record<string, unknown>) {
    const response = await server.gql(CREATE, { input }, token);
    expect(response.errors).toBeUndefined();
    return response.data!.createConversation;
  }

  it('creates with every field and reads the same back', async () => {
    const before = Date.now();
    const created = await create({
      title: 'Every field',
      systemPrompt: 'You are terse.',
      providerId: provider.id,
      model: 'gpt-x',
      temperature: 1.25,
      thinkingEnabled: true,
    });
    expect(created).toMatchObject({
      title: 'Every field',
      systemPrompt: 'You are terse.',
      model: 'gpt-x',
      temperature: 1.25,
      thinkingEnabled: true,
      provider,
    });
    expect(Date.parse(created.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(created.updatedAt).toBe(created.createdAt);
    expect((await server.gql(READ, { id: created.id }, token)).data?.conversation).toEqual(created);
    const [row] = await sql(server, 'SELECT title, system_prompt, provider_id, model, temperature, thinking_enabled FROM conversations WHERE id = $1', [
      rowIdOf(created.id),
    ]);
    expect(row).toEqual({
      title: 'Every field',
      system_prompt: 'You are terse.',
      provider_id: rowIdOf(provider.id),
      model: 'gpt-x',
      temperature: 1.25,
      thinking_enabled: true,
    });
  });

  it('creates with defaults when nothing is given', async () => {
    const created = await create({});
    expect(created).toMatchObject({ title: null, systemPrompt: null, model: null, temperature: null, thinkingEnabled: false, provider: null });
  });

  it('keeps falsy values: temperature 0, thinkingEnabled false, empty title', async () => {
    const created = await create({ title: '', temperature: 0, thinkingEnabled: false });
    expect(created).toMatchObject({ title: '', temperature: 0, thinkingEnabled: false });
    const edge = await create({ temperature: 2 });
    expect(edge.temperature).toBe(2);
  });

  it('may use a shared provider', async () => {
    const shared = (await server.gql('{ providers { id name shared } }', {}, token)).data!.providers.find(
      (p: { shared: boolean }) => p.shared,
    );
    expect(shared).toBeTruthy();
    const created = await create({ providerId: shared.id });
    expect(created.provider).toEqual({ id: shared.id, name: shared.name });
  });

  it('update: an omitted field stays as it is', async () => {
    const created = await create({
      title: 'Keep',
      systemPrompt: 'sp',
      providerId: provider.id,
      model: 'm',
      temperature: 0.7,
      thinkingEnabled: true,
    });
    const updated = (await server.gql(UPDATE, { id: created.id, input: { title: 'Renamed' } }, token)).data!.updateConversation;
    expect(updated).toEqual({ ...created, title: 'Renamed', updatedAt: updated.updatedAt });
    expect(Date.parse(updated.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt));
    expect(updated.createdAt).toBe(created.createdAt);
    // An empty input changes no setting.
    const same = (await server.gql(UPDATE, { id: created.id, input: {} }, token)).data!.updateConversation;
    expect({ ...same, updatedAt: null }).toEqual({ ...updated, updatedAt: null });
  });

  it('update: an explicit null clears every field back to its default', async () => {
    const created = await create({
      title: 'Clear me',
      systemPrompt: 'sp',
      providerId: provider.id,
      model: 'm',
      temperature: 0.7,
      thinkingEnabled: true,
    });
    const input = { title: null, systemPrompt: null, providerId: null, model: null, temperature: null, thinkingEnabled: null };
    const cleared = await server.gql(UPDATE, { id: created.id, input }, token);
    expect(cleared.errors).toBeUndefined();
    expect(cleared.data!.updateConversation).toMatchObject({
      id: created.id,
      title: null,
      systemPrompt: null,
      provider: null,
      model: null,
      temperature: null,
      thinkingEnabled: false,
    });
    expect((await server.gql(READ, { id: created.id }, token)).data?.conversation).toEqual(cleared.data!.updateConversation);
  });

  it('update: one field at a time, in literals as well as variables', async () => {
    const created = await create({ title: 't', systemPrompt: 'sp', model: 'm', temperature: 1, thinkingEnabled: true });
    const one = await server.gql(
      `mutation ($id: ID!) { updateConversation(id: $id, input: { model: null }) { ${FIELDS} } }`,
      { id: created.id },
      token,
    );
    expect(one.data!.updateConversation).toMatchObject({ title: 't', systemPrompt: 'sp', model: null, temperature: 1, thinkingEnabled: true });
    const two = await server.gql(
      `mutation ($id: ID!, $p: ID!) { updateConversation(id: $id, input: { providerId: $p, thinkingEnabled: false }) { ${FIELDS} } }`,
      { id: created.id, p: provider.id },
      token,
    );
    expect(two.data!.updateConversation).toMatchObject({ title: 't', model: null, temperature: 1, thinkingEnabled: false, provider });
  });

  it('deletes a conversation with its messages and runs', async () => {
    const created = await create({ title: 'Doomed' });
    const userId = await userRowId(server, 'conv-user');
    const message = await insertMessage(server, { conversationId: created.id, userId, role: 'user', text: 'bye' });
    await insertFinishedRun(server, { conversationId: created.id, userId, userMessageId: message });
    const deleted = await server.gql(DELETE, { id: created.id }, token);
    expect(deleted).toEqual({ data: { deleteConversation: created.id } });
    expect((await server.gql(READ, { id: created.id }, token)).data).toEqual({ conversation: null });
    const id = rowIdOf(created.id);
    const [counts] = await sql(
      server,
      `SELECT (SELECT count(*)::int FROM conversations WHERE id = $1) AS c,
              (SELECT count(*)::int FROM messages WHERE conversation_id = $1) AS m,
              (SELECT count(*)::int FROM runs WHERE conversation_id = $1) AS r`,
      [id],
    );
    expect(counts).toEqual({ c: 0, m: 0, r: 0 });
    const again = await server.gql(DELETE, { id: created.id }, token);
    expect(codeOf(again)).toBe('NOT_FOUND');
  });

  it("deleting a provider sets its conversations' provider to null", async () => {
    const doomed = (
      await server.gql(
        'mutation { createProvider(input: { name: "Doomed", baseUrl: "https://203.0.113.21/v1", defaultModel: "x" }) { id } }',
        {},
        token,
      )
    ).data!.createProvider;
    const first = await create({ title: 'uses doomed 1', providerId: doomed.id, model: 'kept' });
    const second = await create({ title: 'uses doomed 2', providerId: doomed.id });
    const other = await create({ title: 'uses mine', providerId: provider.id });
    const deleted = await server.gql('mutation ($id: ID!) { deleteProvider(id: $id) }', { id: doomed.id }, token);
    expect(deleted).toEqual({ data: { deleteProvider: doomed.id } });
    const read = await server.gql(
      'query ($a: ID!, $b: ID!, $c: ID!) { a: conversation(id: $a) { provider { id } model } b: conversation(id: $b) { provider { id } } c: conversation(id: $c) { provider { id } } }',
      { a: first.id, b: second.id, c: other.id },
      token,
    );
    expect(read.data).toEqual({ a: { provider: null, model: 'kept' }, b: { provider: null }, c: { provider: { id: provider.id } } });
    const rows = await sql(server, 'SELECT count(*)::int AS n FROM conversations WHERE provider_id = $1', [rowIdOf(doomed.id)]);
    expect(rows[0]?.n).toBe(0);
    // The conversations themselves still work.
    const updated = await server.gql(UPDATE, { id: first.id, input: { title: 'still here' } }, token);
    expect(updated.data!.updateConversation).toMatchObject({ title: 'still here', provider: null });
  });

  it('lists only the viewer\'s conversations, each once', async () => {
    const other = await server.token('conv-other');
    await server.gql('mutation { createConversation(input: { title: "not yours" }) { id } }', {}, other);
    const list = await server.gql('{ conversations(first: 100) { edges { node { id title } } } }', {}, token);
    const titles = list.data!.conversations.edges.map((e: { node: { title: string } }) => e.node.title);
    expect(titles).not.toContain('not yours');
    const ids = list.data!.conversations.edges.map((e: { node: { id: string } }) => e.node.id);
    expect(new Set(ids).size).toBe(ids.length);
    const [row] = await sql(server, 'SELECT count(*)::int AS n FROM conversations WHERE user_id = $1', [await userRowId(server, 'conv-user')]);
    expect(ids).toHaveLength(row!.n);
  });
});
