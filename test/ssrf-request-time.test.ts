/**
 * The SSRF guard holds at request time, not only when a base URL is saved:
 * a non-admin's private provider whose host now resolves to a private
 * address (DNS rebinding; simulated by a row written past the API's check)
 * is never connected to. Admins' and shared providers may reach private hosts.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlm, text, chatRequests, type FakeLlm } from './fixtures/fake-llm.js';
import { follow, send, startChatServer } from './helpers/chat.js';
import { rowIdOf } from './helpers/rows.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('SSRF guard at request time', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  /** A conversation on a private provider of `sub`, its URL set behind the API's back. */
  async function conversationOn(sub: string, level: number, hostUrl: string) {
    const token = await server.token(sub, level);
    const created = await server.gql(
      `mutation { createProvider(input: { name: "mine", baseUrl: "http://93.184.216.34/v1", defaultModel: "m" }) { id } }`,
      {},
      token,
    );
    const providerId = created.data!.createProvider.id as string;
    await server.app.database.dataSource.query(`UPDATE providers SET base_url = $2 WHERE id = $1`, [rowIdOf(providerId), hostUrl]);
    const conversation = await server.gql(
      `mutation($p: ID!) { createConversation(input: { providerId: $p }) { id } }`,
      { p: providerId },
      token,
    );
    return { token, conversationId: conversation.data!.createConversation.id as string, providerId };
  }

  it("refuses to connect a non-admin's provider to a host that resolves privately", async () => {
    const port = new URL(fake.url).port;
    for (const url of [`http://localhost:${port}/v1`, `http://127.0.0.1:${port}/v1`]) {
      const { token, conversationId, providerId } = await conversationOn(`user-${url.length}-${Math.random()}`, 1, url);
      const before = chatRequests(fake).length;
      const { runId } = await send(server, token, { conversationId, text: 'hello?' });
      const { steps } = await follow(server, token, runId);
      expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'PROVIDER_ERROR' });
      expect(chatRequests(fake).length).toBe(before);
      const models = await server.gql(`query($id: ID!) { node(id: $id) { ... on Provider { models } } }`, { id: providerId }, token);
      expect(models.data!.node.models).toEqual([]);
    }
  });

  it("lets an admin's private provider reach a private host", async () => {
    const { token, conversationId, providerId } = await conversationOn('admin-user', 10, `http://localhost:${new URL(fake.url).port}/v1`);
    fake.enqueue(text('from the local model'));
    const { runId } = await send(server, token, { conversationId, text: 'hello' });
    const { steps } = await follow(server, token, runId);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep' });
    const models = await server.gql(`query($id: ID!) { node(id: $id) { ... on Provider { models } } }`, { id: providerId }, token);
    expect(models.data!.node.models).toEqual(['fake-model']);
  });
});
