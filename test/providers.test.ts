/**
 * Providers: CRUD, write-only encrypted API keys, shared providers and who
 * may change them, the configuration-managed demo provider, the SSRF guard
 * on base URLs, Provider.models against a real local endpoint, and
 * thinkingParams round trips.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, describeEachBackend, startServer, type TestServer } from './helpers/server.js';
import { post, rowIdOf, sql, sqlRow } from './helpers/rows.js';

const FIELDS = 'id name baseUrl defaultModel maxTokens hasApiKey apiKeyHint shared managedByConfiguration thinkingParams createdAt';
const CREATE = `mutation ($input: CreateProviderInput!) { createProvider(input: $input) { ${FIELDS} } }`;
const UPDATE = `mutation ($id: ID!, $input: UpdateProviderInput!) { updateProvider(id: $id, input: $input) { ${FIELDS} } }`;
const DELETE = 'mutation ($id: ID!) { deleteProvider(id: $id) }';
const LIST = `{ providers { ${FIELDS} } }`;

const PUBLIC_URL = 'https://203.0.113.30/v1';
const PRIVATE_URLS = [
  'http://127.0.0.1:1234/v1',
  'http://10.0.0.1/v1',
  'http://169.254.169.254/',
  'http://[::1]/',
  'http://localhost:1234/v1',
  'http://127.1.2.3/v1',
  'http://0.0.0.0/v1',
  'http://[::]/v1',
  'http://172.16.5.4/v1',
  'http://192.168.1.1/v1',
  'http://100.64.0.1/v1',
  'http://[fd00::1]/v1',
  'http://[fe80::1]/v1',
  'http://[::ffff:127.0.0.1]/v1',
  'http://[::ffff:169.254.169.254]/',
  'http://0x7f000001/v1',
  'http://2130706433/v1',
  'http://017700000001/v1',
  // IPv6 forms that reach private IPv4 space (NAT64, 6to4, IPv4-compatible, IPv4-translated) and site-local.
  'http://[64:ff9b::7f00:1]/v1',
  'http://[64:ff9b::169.254.169.254]/',
  'http://[64:ff9b:1::a00:1]/v1',
  'http://[2002:7f00:1::]/v1',
  'http://[::7f00:1]/v1',
  'http://[::ffff:0:7f00:1]/v1',
  'http://[fec0::1]/v1',
];

/** A tiny OpenAI-compatible endpoint answering GET /models; records requests. */
async function modelsEndpoint(models: string[]) {
  const requests: { url: string; authorization?: string }[] = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url ?? '', authorization: req.headers.authorization });
    if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'x' })) }));
      return;
    }
    if (req.url?.startsWith('/broken/models')) {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":{"message":"boom"}}');
      return;
    }
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describeEachBackend('providers', (backend) => {
  let server: TestServer;
  let user: string;
  let admin: string;

  beforeAll(async () => {
    server = await startServer({ backend });
    user = await server.token('prov-user', 1, 'Prov User');
    admin = await server.token('prov-admin', 10, 'Prov Admin');
  });
  afterAll(() => server?.stop());

  async function create(input: Record<string, unknown>, token = user) {
    const response = await server.gql(CREATE, { input }, token);
    expect(response.errors).toBeUndefined();
    return response.data!.createProvider;
  }

  async function count(where = 'true', params: unknown[] = []) {
    const [row] = await sql(server, `SELECT count(*)::int AS n FROM providers WHERE ${where}`, params);
    return row!.n as number;
  }

  describe('CRUD and API keys', () => {
    it('creates with every field, the key write-only', async () => {
      const key = 'sk-live-PLAINTEXT-abcdefghijklmnop-WXYZ';
      const response = await post(
        server,
        CREATE,
        {
          input: {
            name: 'Full',
            baseUrl: `${PUBLIC_URL}/`,
            apiKey: key,
            defaultModel: 'gpt-full',
            maxTokens: 4096,
            thinkingParams: { reasoning_effort: 'medium' },
          },
        },
        user,
      );
      expect(response.body.errors).toBeUndefined();
      expect(response.text).not.toContain(key);
      const created = response.body.data.createProvider;
      expect(created).toMatchObject({
        name: 'Full',
        baseUrl: PUBLIC_URL,
        defaultModel: 'gpt-full',
        maxTokens: 4096,
        hasApiKey: true,
        shared: false,
        managedByConfiguration: false,
        thinkingParams: { reasoning_effort: 'medium' },
      });
      expect(created.apiKeyHint.length).toBeGreaterThan(0);
      expect(created.apiKeyHint.length).toBeLessThanOrEqual(4);
      expect(key.endsWith(created.apiKeyHint)).toBe(true);

      // Nowhere in any answer: node, list, update, a conversation's provider.
      const answers = [
        await post(server, `query ($id: ID!) { node(id: $id) { ... on Provider { ${FIELDS} } } }`, { id: created.id }, user),
        await post(server, LIST, {}, user),
        await post(server, UPDATE, { id: created.id, input: { name: 'Full renamed' } }, user),
        await post(server, 'mutation ($p: ID!) { createConversation(input: { providerId: $p }) { provider { id apiKeyHint hasApiKey } } }', { p: created.id }, user),
      ];
      for (const answer of answers) {
        expect(answer.body.errors).toBeUndefined();
        expect(answer.text).not.toContain(key);
        expect(answer.text).not.toContain('PLAINTEXT');
      }

      // Encrypted at rest.
      const [row] = await sql(server, 'SELECT api_key_ciphertext, api_key_hint FROM providers WHERE id = $1', [rowIdOf(created.id)]);
      expect(row!.api_key_ciphertext).toBeTruthy();
      expect(row!.api_key_ciphertext).not.toBe(key);
      expect(row!.api_key_ciphertext).not.toContain('PLAINTEXT');
      expect(Buffer.from(row!.api_key_ciphertext.split(':').pop(), 'base64').toString('utf8')).not.toContain('PLAINTEXT');
      expect(row!.api_key_hint).toBe(created.apiKeyHint);
      const dump = JSON.stringify(await sql(server, 'SELECT * FROM providers'));
      expect(dump).not.toContain(key);
    });

    it('never echoes a key in an error message', async () => {
      const key = 'sk-error-LEAKCHECK-0123456789';
      const bad = await post(server, CREATE, { input: { name: 'Bad', baseUrl: 'not a url', apiKey: key, defaultModel: 'm' } }, user);
      expect(bad.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(bad.text).not.toContain('LEAKCHECK');
      const ssrf = await post(server, CREATE, { input: { name: 'Bad', baseUrl: 'http://10.1.2.3/v1', apiKey: key, defaultModel: 'm' } }, user);
      expect(ssrf.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(ssrf.text).not.toContain('LEAKCHECK');
    });

    it('gives a short key no hint longer than a quarter of it', async () => {
      const tiny = await create({ name: 'Tiny key', baseUrl: PUBLIC_URL, apiKey: 'abc', defaultModel: 'm' });
      expect(tiny).toMatchObject({ hasApiKey: true, apiKeyHint: null });
      const eight = await create({ name: 'Eight key', baseUrl: PUBLIC_URL, apiKey: '12345678', defaultModel: 'm' });
      expect(eight).toMatchObject({ hasApiKey: true, apiKeyHint: '78' });
    });

    it('creates without a key', async () => {
      const created = await create({ name: 'Keyless', baseUrl: PUBLIC_URL, defaultModel: 'm' });
      expect(created).toMatchObject({ hasApiKey: false, apiKeyHint: null, maxTokens: null, thinkingParams: null });
    });

    it('update: omitted stays, a new key replaces, apiKey null removes it', async () => {
      const created = await create({
        name: 'Rotate',
        baseUrl: PUBLIC_URL,
        apiKey: 'sk-first-key-aaaa-1111',
        defaultModel: 'm',
        maxTokens: 100,
        thinkingParams: { reasoning_effort: 'low' },
      });
      const { api_key_ciphertext: firstCipher } = await sqlRow(server, 'SELECT api_key_ciphertext FROM providers WHERE id = $1', [
        rowIdOf(created.id),
      ]);

      const renamed = (await server.gql(UPDATE, { id: created.id, input: { name: 'Rotated' } }, user)).data!.updateProvider;
      expect(renamed).toEqual({ ...created, name: 'Rotated' });
      const { api_key_ciphertext: kept } = await sqlRow(server, 'SELECT api_key_ciphertext FROM providers WHERE id = $1', [rowIdOf(created.id)]);
      expect(kept).toBe(firstCipher);

      const second = await post(server, UPDATE, { id: created.id, input: { apiKey: 'sk-second-key-bbbb-2222' } }, user);
      expect(second.text).not.toContain('sk-second-key');
      expect(second.body.data.updateProvider).toMatchObject({ hasApiKey: true, apiKeyHint: '2222', name: 'Rotated', maxTokens: 100 });
      const { api_key_ciphertext: secondCipher } = await sqlRow(server, 'SELECT api_key_ciphertext FROM providers WHERE id = $1', [
        rowIdOf(created.id),
      ]);
      expect(secondCipher).not.toBe(firstCipher);
      expect(secondCipher).not.toContain('sk-second-key');

      const removed = (await server.gql(UPDATE, { id: created.id, input: { apiKey: null } }, user)).data!.updateProvider;
      expect(removed).toMatchObject({ hasApiKey: false, apiKeyHint: null, name: 'Rotated', maxTokens: 100 });
      const [row] = await sql(server, 'SELECT api_key_ciphertext, api_key_hint FROM providers WHERE id = $1', [rowIdOf(created.id)]);
      expect(row).toEqual({ api_key_ciphertext: null, api_key_hint: null });
    });

    it('update: every field, and null clears maxTokens and thinkingParams', async () => {
      const created = await create({ name: 'Edit', baseUrl: PUBLIC_URL, defaultModel: 'm', maxTokens: 5, thinkingParams: { a: 1 } });
      const input = {
        name: 'Edited',
        baseUrl: 'https://203.0.113.31/api/v1///',
        defaultModel: 'm2',
        maxTokens: 7,
        thinkingParams: { extra_body: { thinking: { type: 'enabled', budget_tokens: 1024 } }, flags: [1, true, null, 'x'] },
      };
      const edited = (await server.gql(UPDATE, { id: created.id, input }, user)).data!.updateProvider;
      expect(edited).toMatchObject({ ...input, baseUrl: 'https://203.0.113.31/api/v1' });
      const cleared = (await server.gql(UPDATE, { id: created.id, input: { maxTokens: null, thinkingParams: null } }, user)).data!
        .updateProvider;
      expect(cleared).toMatchObject({ name: 'Edited', defaultModel: 'm2', maxTokens: null, thinkingParams: null });
      for (const field of ['name', 'baseUrl', 'defaultModel']) {
        const response = await server.gql(UPDATE, { id: created.id, input: { [field]: null } }, user);
        expect(codeOf(response), field).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.message, field).toContain(field);
      }
      const [row] = await sql(server, 'SELECT name, base_url, default_model FROM providers WHERE id = $1', [rowIdOf(created.id)]);
      expect(row).toEqual({ name: 'Edited', base_url: 'https://203.0.113.31/api/v1', default_model: 'm2' });
    });

    it('thinkingParams round-trips as JSON, through variables and literals', async () => {
      const viaVariables = await create({ name: 'Think vars', baseUrl: PUBLIC_URL, defaultModel: 'm', thinkingParams: { reasoning_effort: 'medium' } });
      expect(viaVariables.thinkingParams).toEqual({ reasoning_effort: 'medium' });
      const literal = await server.gql(
        `mutation { createProvider(input: { name: "Think literal", baseUrl: "${PUBLIC_URL}", defaultModel: "m", thinkingParams: { reasoning_effort: "medium", budget: 2, nested: { on: true, list: [1, 2.5, null] } } }) { thinkingParams } }`,
        {},
        user,
      );
      expect(literal.errors).toBeUndefined();
      expect(literal.data!.createProvider.thinkingParams).toEqual({ reasoning_effort: 'medium', budget: 2, nested: { on: true, list: [1, 2.5, null] } });
      const read = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { thinkingParams } } }`, { id: viaVariables.id }, user);
      expect(read.data!.node.thinkingParams).toEqual({ reasoning_effort: 'medium' });
      const [row] = await sql(server, 'SELECT thinking_params FROM providers WHERE id = $1', [rowIdOf(viaVariables.id)]);
      expect(row!.thinking_params).toEqual({ reasoning_effort: 'medium' });
    });

    it('deletes an own provider', async () => {
      const created = await create({ name: 'Gone', baseUrl: PUBLIC_URL, defaultModel: 'm' });
      expect(await server.gql(DELETE, { id: created.id }, user)).toEqual({ data: { deleteProvider: created.id } });
      expect(await count('id = $1', [rowIdOf(created.id)])).toBe(0);
      expect(codeOf(await server.gql(DELETE, { id: created.id }, user))).toBe('NOT_FOUND');
    });
  });

  describe('shared providers', () => {
    it('a non-admin may not create one', async () => {
      const before = await count();
      const response = await server.gql(CREATE, { input: { name: 'Sneaky shared', baseUrl: PUBLIC_URL, defaultModel: 'm', shared: true } }, user);
      expect(codeOf(response)).toBe('FORBIDDEN');
      expect(await count()).toBe(before);
    });

    it('an admin creates one and every user sees it: shared first, then own, by name', async () => {
      const zulu = await create({ name: 'Zulu shared', baseUrl: 'http://127.0.0.1:11434/v1', defaultModel: 'llama', shared: true }, admin);
      const alpha = await create({ name: 'Alpha shared', baseUrl: PUBLIC_URL, defaultModel: 'm', shared: true }, admin);
      expect(zulu).toMatchObject({ shared: true, managedByConfiguration: false });
      const adminPrivate = await create({ name: 'Admin private', baseUrl: PUBLIC_URL, defaultModel: 'm' }, admin);
      expect(adminPrivate.shared).toBe(false);

      const newcomer = await server.token('prov-newcomer', 1);
      const bravoOwn = await create({ name: 'Bravo own', baseUrl: PUBLIC_URL, defaultModel: 'm' }, newcomer);
      const alphaOwn = await create({ name: 'Alpha own', baseUrl: PUBLIC_URL, defaultModel: 'm' }, newcomer);
      const list = (await server.gql(LIST, {}, newcomer)).data!.providers as { id: string; name: string; shared: boolean }[];

      const firstOwn = list.findIndex((p) => !p.shared);
      expect(list.slice(0, firstOwn).every((p) => p.shared)).toBe(true);
      expect(list.slice(firstOwn).every((p) => !p.shared)).toBe(true);
      expect(list.slice(firstOwn).map((p) => p.id)).toEqual([alphaOwn.id, bravoOwn.id]);
      const known = new Set([alpha.id, zulu.id]);
      const demo = list.find((p) => p.name === 'Demo model');
      expect(demo).toBeTruthy();
      known.add(demo!.id);
      expect(list.filter((p) => known.has(p.id)).map((p) => p.name)).toEqual(['Alpha shared', 'Demo model', 'Zulu shared']);
      expect(list.map((p) => p.id)).not.toContain(adminPrivate.id);

      // Others see the shared ones too, but not the newcomer's.
      const userList = (await server.gql(LIST, {}, user)).data!.providers.map((p: { id: string }) => p.id);
      expect(userList).toEqual(expect.arrayContaining([alpha.id, zulu.id, demo!.id]));
      expect(userList).not.toContain(alphaOwn.id);
      // And may use one in a conversation.
      const conversation = await server.gql('mutation ($p: ID!) { createConversation(input: { providerId: $p }) { provider { id } } }', { p: zulu.id }, user);
      expect(conversation.data!.createConversation.provider).toEqual({ id: zulu.id });
    });

    it('a non-admin may not update or delete a shared one; an admin may', async () => {
      const shared = await create({ name: 'Locked shared', baseUrl: PUBLIC_URL, defaultModel: 'm', shared: true }, admin);
      expect(codeOf(await server.gql(UPDATE, { id: shared.id, input: { name: 'mine now' } }, user))).toBe('FORBIDDEN');
      expect(codeOf(await server.gql(UPDATE, { id: shared.id, input: { apiKey: 'sk-x-0000000000' } }, user))).toBe('FORBIDDEN');
      expect(codeOf(await server.gql(DELETE, { id: shared.id }, user))).toBe('FORBIDDEN');
      const read = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { ${FIELDS} } } }`, { id: shared.id }, admin);
      expect(read.data!.node).toEqual(shared);

      const renamed = await server.gql(UPDATE, { id: shared.id, input: { name: 'Renamed shared', baseUrl: 'http://10.0.0.5/v1' } }, admin);
      expect(renamed.errors).toBeUndefined();
      expect(renamed.data!.updateProvider).toMatchObject({ name: 'Renamed shared', baseUrl: 'http://10.0.0.5/v1', shared: true });
      expect(await server.gql(DELETE, { id: shared.id }, admin)).toEqual({ data: { deleteProvider: shared.id } });
    });

    it('the managed demo provider exists and cannot be changed, even by an admin', async () => {
      const list = (await server.gql(LIST, {}, user)).data!.providers;
      const demo = list.find((p: { name: string }) => p.name === 'Demo model');
      expect(demo).toMatchObject({ shared: true, managedByConfiguration: true, hasApiKey: false });
      for (const token of [admin, user]) {
        const update = await server.gql(UPDATE, { id: demo.id, input: { name: 'Hijacked' } }, token);
        expect(codeOf(update)).toBe('FORBIDDEN');
        const remove = await server.gql(DELETE, { id: demo.id }, token);
        expect(codeOf(remove)).toBe('FORBIDDEN');
      }
      const after = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { ${FIELDS} } } }`, { id: demo.id }, user);
      expect(after.data!.node).toEqual(demo);
    });
  });

  describe('SSRF guard', () => {
    it('refuses private, loopback and link-local base URLs for a non-admin', async () => {
      const before = await count();
      for (const baseUrl of PRIVATE_URLS) {
        const response = await server.gql(CREATE, { input: { name: 'Internal', baseUrl, defaultModel: 'm' } }, user);
        expect(codeOf(response), baseUrl).toBe('BAD_USER_INPUT');
        expect(response.errors?.[0]?.message, baseUrl).toMatch(/baseUrl/);
      }
      expect(await count()).toBe(before);
    });

    it('refuses a host that does not resolve (it cannot be checked)', async () => {
      const response = await server.gql(CREATE, { input: { name: 'Nowhere', baseUrl: 'http://no-such-host.invalid/v1', defaultModel: 'm' } }, user);
      expect(codeOf(response)).toBe('BAD_USER_INPUT');
    });

    it('refuses moving an own provider to a private address', async () => {
      const created = await create({ name: 'Moving', baseUrl: PUBLIC_URL, defaultModel: 'm' });
      for (const baseUrl of ['http://127.0.0.1:8080/v1', 'http://169.254.169.254/']) {
        expect(codeOf(await server.gql(UPDATE, { id: created.id, input: { baseUrl } }, user)), baseUrl).toBe('BAD_USER_INPUT');
      }
      const [row] = await sql(server, 'SELECT base_url FROM providers WHERE id = $1', [rowIdOf(created.id)]);
      expect(row!.base_url).toBe(PUBLIC_URL);
    });

    it('lets an admin use any address', async () => {
      for (const baseUrl of ['http://127.0.0.1:1234/v1', 'http://10.0.0.1/v1', 'http://169.254.169.254/', 'http://[::1]/']) {
        const response = await server.gql(CREATE, { input: { name: `Admin ${baseUrl}`, baseUrl, defaultModel: 'm' } }, admin);
        expect(response.errors, baseUrl).toBeUndefined();
      }
    });
  });

  describe('models', () => {
    it("lists the endpoint's models (GET /models) with the provider's key", async () => {
      const endpoint = await modelsEndpoint(['m2', 'm1', 'm3']);
      try {
        const created = await create({ name: 'Local models', baseUrl: `${endpoint.url}/v1`, apiKey: 'sk-models-key-7777', defaultModel: 'm1' }, admin);
        const response = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { models } } }`, { id: created.id }, admin);
        expect(response.errors).toBeUndefined();
        expect(response.data!.node.models).toEqual(['m1', 'm2', 'm3']);
        expect(endpoint.requests.some((r) => r.url.startsWith('/v1/models'))).toBe(true);
        expect(endpoint.requests[0]!.authorization).toBe('Bearer sk-models-key-7777');
        // Cached briefly: a second read does not call the endpoint again.
        const requests = endpoint.requests.length;
        const again = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { models } } }`, { id: created.id }, admin);
        expect(again.data!.node.models).toEqual(['m1', 'm2', 'm3']);
        expect(endpoint.requests.length).toBe(requests);
      } finally {
        await endpoint.close();
      }
    });

    it('follows a changed base URL at once (no stale cache)', async () => {
      const before = await modelsEndpoint(['old-model']);
      const after = await modelsEndpoint(['new-a', 'new-b']);
      try {
        const created = await create({ name: 'Moving models', baseUrl: `${before.url}/v1`, defaultModel: 'old-model' }, admin);
        const query = `query ($id: ID!) { node(id: $id) { ... on Provider { models } } }`;
        expect((await server.gql(query, { id: created.id }, admin)).data!.node.models).toEqual(['old-model']);
        const moved = await server.gql(UPDATE, { id: created.id, input: { baseUrl: `${after.url}/v1` } }, admin);
        expect(moved.errors).toBeUndefined();
        expect((await server.gql(query, { id: created.id }, admin)).data!.node.models).toEqual(['new-a', 'new-b']);
      } finally {
        await before.close();
        await after.close();
      }
    });

    it('answers [] for an unreachable or failing endpoint', async () => {
      const endpoint = await modelsEndpoint(['m1']);
      try {
        const port = await closedPort();
        const unreachable = await create({ name: 'Unreachable', baseUrl: `http://127.0.0.1:${port}/v1`, defaultModel: 'm' }, admin);
        const failing = await create({ name: 'Failing', baseUrl: `${endpoint.url}/broken`, defaultModel: 'm' }, admin);
        const missing = await create({ name: 'Missing', baseUrl: `${endpoint.url}/nothing-here`, defaultModel: 'm' }, admin);
        const response = await server.gql(
          `query ($a: ID!, $b: ID!, $c: ID!) {
            a: node(id: $a) { ... on Provider { models } }
            b: node(id: $b) { ... on Provider { models } }
            c: node(id: $c) { ... on Provider { models } }
          }`,
          { a: unreachable.id, b: failing.id, c: missing.id },
          admin,
        );
        expect(response).toEqual({ data: { a: { models: [] }, b: { models: [] }, c: { models: [] } } });
      } finally {
        await endpoint.close();
      }
    });
  });
});

describeEachBackend('providers with PROVIDER_ALLOW_PRIVATE', (backend) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ backend, env: { PROVIDER_ALLOW_PRIVATE: 'true' } });
  });
  afterAll(() => server?.stop());

  it('lets a non-admin use private addresses, and lists models from one', async () => {
    const user = await server.token('allow-user', 1);
    for (const baseUrl of ['http://127.0.0.1:1234/v1', 'http://10.0.0.1/v1', 'http://169.254.169.254/', 'http://[::1]/']) {
      const response = await server.gql(CREATE, { input: { name: `Private ${baseUrl}`, baseUrl, defaultModel: 'm' } }, user);
      expect(response.errors, baseUrl).toBeUndefined();
      expect(response.data!.createProvider.shared).toBe(false);
    }
    const endpoint = await modelsEndpoint(['m1', 'gpt-local']);
    try {
      const created = await server.gql(CREATE, { input: { name: 'Ollama', baseUrl: `${endpoint.url}/v1`, defaultModel: 'm1' } }, user);
      const models = await server.gql(`query ($id: ID!) { node(id: $id) { ... on Provider { models } } }`, { id: created.data!.createProvider.id }, user);
      expect(models.data!.node.models).toEqual(['gpt-local', 'm1']);
      // No key configured: the SDK's placeholder, never another provider's key.
      expect(endpoint.requests[0]!.authorization).toBe('Bearer none');
    } finally {
      await endpoint.close();
    }
    // Shared providers still need an admin.
    const shared = await server.gql(CREATE, { input: { name: 'Shared', baseUrl: 'http://127.0.0.1:1/v1', defaultModel: 'm', shared: true } }, user);
    expect(codeOf(shared)).toBe('FORBIDDEN');
  });
});

describe('who sees which base URL', () => {
  const CONFIGURED = 'http://gw-user:gw-secret-pass@127.0.0.1:9/v1';
  let server: TestServer;
  let user: string;
  let admin: string;
  beforeAll(async () => {
    server = await startServer({ env: { LLM_BASE_URL: CONFIGURED, LLM_MODEL: 'm', DEMO_MODEL: 'false' } });
    user = await server.token('url-user', 1);
    admin = await server.token('url-admin', 10);
  });
  afterAll(() => server?.stop());

  const NODE = `query ($id: ID!) { node(id: $id) { ... on Provider { baseUrl } } }`;
  const listed = async (token: string) =>
    Object.fromEntries(((await server.gql(`{ providers { id name baseUrl } }`, {}, token)).data!.providers as { id: string; name: string; baseUrl: string }[]).map((p) => [p.name, p]));

  it('shows admins shared addresses without credentials, and non-admins none', async () => {
    const shared = await server.gql(CREATE, { input: { name: 'Internal shared', baseUrl: 'http://10.0.0.7:11434/v1', defaultModel: 'm', shared: true } }, admin);
    const sharedId = shared.data!.createProvider.id as string;
    expect(shared.data!.createProvider.baseUrl).toBe('http://10.0.0.7:11434/v1');

    const forAdmin = await listed(admin);
    expect(forAdmin['Default']!.baseUrl).toBe('http://127.0.0.1:9/v1');
    expect(forAdmin['Internal shared']!.baseUrl).toBe('http://10.0.0.7:11434/v1');
    expect((await server.gql(NODE, { id: sharedId }, admin)).data!.node.baseUrl).toBe('http://10.0.0.7:11434/v1');

    const forUser = await listed(user);
    expect(forUser['Default']!.baseUrl).toBe('');
    expect(forUser['Internal shared']!.baseUrl).toBe('');
    expect((await server.gql(NODE, { id: sharedId }, user)).data!.node).toEqual({ baseUrl: '' });
    expect((await server.gql(NODE, { id: forUser['Default']!.id }, user)).data!.node).toEqual({ baseUrl: '' });
    // Through a conversation's provider too.
    const conversation = await server.gql(`mutation ($p: ID!) { createConversation(input: { providerId: $p }) { provider { baseUrl } } }`, { p: sharedId }, user);
    expect(conversation.data!.createConversation.provider).toEqual({ baseUrl: '' });

    for (const token of [admin, user]) {
      const everything = JSON.stringify(await server.gql(`{ providers { ${FIELDS} } }`, {}, token));
      expect(everything).not.toContain('gw-secret-pass');
      expect(everything).not.toContain('gw-user');
    }
  });

  it("shows a user their own provider's address, never with credentials", async () => {
    const own = await server.gql(CREATE, { input: { name: 'Mine', baseUrl: PUBLIC_URL, defaultModel: 'm' } }, user);
    const id = own.data!.createProvider.id as string;
    expect(own.data!.createProvider.baseUrl).toBe(PUBLIC_URL);
    expect((await listed(user))['Mine']!.baseUrl).toBe(PUBLIC_URL);
    // A row with credentials (written before the API refused them) shows without them.
    await sql(server, `UPDATE providers SET base_url = $2 WHERE id = $1`, [rowIdOf(id), 'https://me:my-pass@203.0.113.30/v1']);
    expect((await server.gql(NODE, { id }, user)).data!.node).toEqual({ baseUrl: 'https://203.0.113.30/v1' });
  });
});
