import { afterAll, beforeAll, expect, it } from 'vitest';
import { codeOf, describeEachBackend, startServer, type TestServer } from './helpers/server.js';

describeEachBackend('smoke', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ backend });
  });
  afterAll(() => server?.stop());

  it('answers viewer for a token and UNAUTHENTICATED without one', async () => {
    const token = await server.token('alice', 1, 'Alice');
    const ok = await server.gql('{ viewer { username permissionLevel } }', {}, token);
    expect(ok).toEqual({ data: { viewer: { username: 'Alice', permissionLevel: 1 } } });
    const anonymous = await server.gql('{ viewer { username } }', {}, null);
    expect(codeOf(anonymous)).toBe('UNAUTHENTICATED');
    const typename = await server.gql('{ __typename }', {}, null);
    expect(typename).toEqual({ data: { __typename: 'Query' } });
  });

  it('creates and lists conversations', async () => {
    const token = await server.token('bob');
    const created = await server.gql(
      'mutation { createConversation(input: { title: "First" }) { id title thinkingEnabled } }',
      {},
      token,
    );
    expect(created.errors).toBeUndefined();
    const list = await server.gql('{ conversations { edges { node { id title } } } }', {}, token);
    expect(list.data?.conversations.edges).toEqual([{ node: created.data!.createConversation }].map((e) => ({ node: { id: e.node.id, title: 'First' } })));
  });
});
