/**
 * A page of conversations with their provider, active run and last message
 * costs a constant number of SQL statements, however many conversations
 * it holds (dataloaders batch every relation; no N+1).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, startServer, type TestServer } from './helpers/server.js';
import { insertMessage, rowIdOf, sql, userRowId } from './helpers/rows.js';

const LIST = `query ($first: Int) {
  conversations(first: $first) {
    edges { node { id provider { id name } activeRun { id } messages(last: 1) { edges { node { id text } } } } }
  }
}`;

const MAX_STATEMENTS = 5;

describeEachBackend('statement count', (backend) => {
  let server: TestServer;

  beforeAll(async () => {
    // No background sweep inside the counted window: only the request's own statements count.
    server = await startServer({ backend, env: { RUN_LEASE_MS: '3600000' } });
  });
  afterAll(() => server?.stop());

  /** Creates `n` conversations for a new user: some with their own provider, some with a shared one, the newest with an active run, the oldest with messages. */
  async function seed(subject: string, n: number) {
    const token = await server.token(subject);
    const own = await server.gql(
      'mutation { createProvider(input: { name: "Own", baseUrl: "https://203.0.113.50/v1", defaultModel: "m" }) { id } }',
      {},
      token,
    );
    const shared = (await server.gql('{ providers { id shared } }', {}, token)).data!.providers.find((p: { shared: boolean }) => p.shared);
    const providerIds = [own.data!.createProvider.id, shared.id, null];
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const created = await server.gql(
        'mutation ($p: ID, $t: String) { createConversation(input: { title: $t, providerId: $p }) { id } }',
        { p: providerIds[i % 3], t: `c${i}` },
        token,
      );
      expect(created.errors).toBeUndefined();
      ids.push(created.data!.createConversation.id);
    }
    const userId = await userRowId(server, subject);
    const chatty = ids[n - 1]!; // the newest: first in the list
    // The newest conversation has an active run whose (still empty) assistant message is its last message.
    const question = await insertMessage(server, { conversationId: chatty, userId, role: 'user', text: 'question' });
    const [run] = await sql<{ id: string }>(
      server,
      `INSERT INTO runs (conversation_id, user_id, user_message_id, status, owner_instance, heartbeat_at)
       VALUES ($1, $2, $3, 'RUNNING', 'statement-count-test', clock_timestamp()) RETURNING id`,
      [rowIdOf(chatty), userId, rowIdOf(question)],
    );
    const answer = await insertMessage(server, { conversationId: chatty, userId, role: 'assistant', text: '', runId: run!.id });
    await sql(server, 'UPDATE runs SET assistant_message_id = $1 WHERE id = $2', [rowIdOf(answer), run!.id]);
    // The oldest has two messages; only the last one is listed.
    await insertMessage(server, { conversationId: ids[0]!, userId, role: 'user', text: 'hello' });
    await insertMessage(server, { conversationId: ids[0]!, userId, role: 'user', text: 'only message' });
    return { token, ids, chatty, answer };
  }

  async function countStatements(token: string, first: number) {
    // Warm: the viewer's user row is cached after a first request.
    await server.gql('{ viewer { id } }', {}, token);
    server.statements.length = 0;
    const response = await server.gql(LIST, { first }, token);
    const statements = [...server.statements];
    expect(response.errors).toBeUndefined();
    return { response, statements };
  }

  it(`lists 50 conversations with relations in at most ${MAX_STATEMENTS} statements, and 10 in as many`, async () => {
    const fifty = await seed('stmt-fifty', 50);
    const big = await countStatements(fifty.token, 50);
    const edges = big.response.data!.conversations.edges;
    expect(edges).toHaveLength(50);
    // The relations really loaded.
    expect(edges[0].node.id).toBe(fifty.chatty);
    expect(edges[0].node.activeRun).not.toBeNull();
    expect(edges[0].node.messages.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual([fifty.answer]);
    expect(edges.at(-1).node.messages.edges.map((e: { node: { text: string } }) => e.node.text)).toEqual(['only message']);
    expect(edges.filter((e: { node: { provider: unknown } }) => e.node.provider !== null).length).toBeGreaterThan(30);
    expect(edges.slice(1).every((e: { node: { activeRun: unknown } }) => e.node.activeRun === null)).toBe(true);

    const ten = await seed('stmt-ten', 10);
    const small = await countStatements(ten.token, 10);
    expect(small.response.data!.conversations.edges).toHaveLength(10);

    console.info(`[statement-count ${backend}] 50 conversations: ${big.statements.length} statements; 10 conversations: ${small.statements.length}`);
    expect(big.statements.length, big.statements.join('\n')).toBeLessThanOrEqual(MAX_STATEMENTS);
    expect(small.statements.length).toBe(big.statements.length);
  });
});
