/**
 * A variable that graphql-js cannot coerce (an unknown field, a missing
 * field, a wrong type) is BAD_USER_INPUT, and neither the log nor the
 * response echoes the value back: graphql-js puts the whole input object in
 * the message ("got invalid value { apiKey: "sk-…" }"), and the built-in
 * scalars quote the offending value.
 */
import { Writable } from 'node:stream';
import type { Client } from 'graphql-ws';
import { createClient } from 'graphql-ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createApp, type App } from '../src/server.js';
import { mintToken } from '../src/services/users/auth-service.js';
import { freshDatabase, TEST_SECRET, type FreshDatabase, type GraphQLResponse } from './helpers/server.js';

const SECRET = 'sk-redaction-secret-0123456789abcdef';
const TEXT = 'private-message-text-about-my-diagnosis';

const CREATE = 'mutation($input: CreateProviderInput!) { createProvider(input: $input) { id } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateProviderInput!) { updateProvider(id: $id, input: $input) { id } }';
const SEND = 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }';

const STEPS = 'subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { __typename } }';

const provider = { name: 'p', baseUrl: 'https://203.0.113.50/v1', defaultModel: 'm' };

/** [name, query, variables]; every case is refused before any resolver runs. */
function cases(providerId: string): [string, string, Record<string, unknown>][] {
  return [
    ['createProvider unknown field', CREATE, { input: { ...provider, apiKey: SECRET, bogus: 1 } }],
    ['createProvider missing field', CREATE, { input: { name: 'p', baseUrl: provider.baseUrl, apiKey: SECRET } }],
    ['createProvider wrong type', CREATE, { input: { ...provider, apiKey: SECRET, maxTokens: 'many' } }],
    ['createProvider wrong type of the key', CREATE, { input: { ...provider, apiKey: [SECRET, 1] } }],
    ['createProvider key in a number', CREATE, { input: { ...provider, maxTokens: SECRET } }],
    ['createProvider key as the input', CREATE, { input: SECRET }],
    ['updateProvider unknown field', UPDATE, { id: providerId, input: { apiKey: SECRET, bogus: true } }],
    ['updateProvider missing field', UPDATE, { input: { apiKey: SECRET } }],
    ['updateProvider wrong type', UPDATE, { id: providerId, input: { apiKey: SECRET, name: 42 } }],
    ['updateProvider wrong type of the key', UPDATE, { id: providerId, input: { apiKey: { value: SECRET } } }],
    ['sendMessage unknown field', SEND, { input: { text: TEXT, bogus: 1 } }],
    ['sendMessage missing field', SEND, { input: { thinkingEnabled: true, clientMutationId: TEXT } }],
    ['sendMessage wrong type', SEND, { input: { text: TEXT, thinkingEnabled: 'yes' } }],
    ['sendMessage wrong type of the text', SEND, { input: { text: [TEXT] } }],
    ['sendMessage text in a boolean', SEND, { input: { text: 'x', thinkingEnabled: TEXT } }],
    ['sendMessage text in a list', SEND, { input: { text: 'x', enabledTools: [{ name: TEXT }] } }],
    ['chatSteps text in a number', STEPS, { runId: 'r', after: TEXT }],
  ];
}

describe('coercion errors do not echo variable values', () => {
  const lines: string[] = [];
  let database: FreshDatabase;
  let app: App;
  let url: string;
  let wsUrl: string;
  let token: string;
  let providerId: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    database = await freshDatabase('embedded');
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({ PORT: '0', HOST: '127.0.0.1', AUTH_SECRET: TEST_SECRET, ...database.env });
    // debug: everything the server could log is in `lines`.
    app = await createApp(config, { logger: createLogger('debug', sink) });
    const { port } = await app.start();
    url = `http://127.0.0.1:${port}/graphql`;
    wsUrl = `ws://127.0.0.1:${port}/graphql`;
    token = await mintToken(TEST_SECRET, { sub: 'redaction-user', permissionLevel: 10 });
    const created = await http(CREATE, { input: { ...provider, apiKey: 'sk-first-key-000000' } });
    providerId = created.data!.createProvider.id;
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.dispose()));
    await app?.stop();
    await database?.drop();
  });

  async function http(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as GraphQLResponse;
  }

  async function overWs(query: string, variables: Record<string, unknown>): Promise<GraphQLResponse> {
    const client = createClient({
      url: wsUrl,
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${token}` },
    });
    clients.push(client);
    return new Promise((resolve, reject) => {
      let result: GraphQLResponse | undefined;
      client.subscribe(
        { query, variables },
        {
          next: (value) => (result = value as GraphQLResponse),
          // graphql-ws delivers a refused operation as an `error` message: an array of errors.
          error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error)),
          complete: () => resolve(result ?? {}),
        },
      );
    });
  }

  for (const [transport, send] of [
    ['HTTP', (q: string, v: Record<string, unknown>) => http(q, v)],
    ['graphql-ws', (q: string, v: Record<string, unknown>) => overWs(q, v)],
  ] as const) {
    it(`over ${transport}: BAD_USER_INPUT naming the field, and no key or text in the response or the log`, async () => {
      for (const [name, query, variables] of cases(providerId)) {
        const logged = lines.length;
        const response = await send(query, variables);
        expect(response.errors?.length, name).toBeGreaterThan(0);
        for (const error of response.errors!) {
          expect(error.extensions?.code, `${name}: ${error.message}`).toBe('BAD_USER_INPUT');
          expect(error.message, name).toMatch(/^Variable "\$\w+"/);
        }
        const body = JSON.stringify(response);
        expect(body, name).not.toContain(SECRET);
        expect(body, name).not.toContain(TEXT);
        // Let any log line of the request be written.
        await new Promise((r) => setImmediate(r));
        const log = lines.slice(logged).join('\n');
        expect(log, name).not.toContain(SECRET);
        expect(log, name).not.toContain(TEXT);
      }
    });
  }

  it('keeps the part of the message a client needs', async () => {
    const [unknown, missing, wrong] = await Promise.all([
      http(CREATE, { input: { ...provider, apiKey: SECRET, bogus: 1 } }),
      http(CREATE, { input: { name: 'p', baseUrl: provider.baseUrl, apiKey: SECRET } }),
      http(CREATE, { input: { ...provider, apiKey: SECRET, maxTokens: 'many' } }),
    ]);
    expect(unknown.errors?.[0]?.message).toMatch(/Field "bogus" is not defined by type "CreateProviderInput"/);
    expect(missing.errors?.[0]?.message).toMatch(/Field "defaultModel" of required type "String!" was not provided/);
    expect(wrong.errors?.[0]?.message).toMatch(/at "input\.maxTokens"; Int cannot represent/);
  });

  it('stored nothing, and the whole log never held the key or the text', async () => {
    const rows = await app.database.dataSource.query(`SELECT count(*)::int AS n FROM providers WHERE name = 'p'`);
    expect(rows[0].n).toBe(1);
    const all = lines.join('\n');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(TEXT);
  });
});
