/**
 * Logs carry request, user and run ids and never an API key or a token;
 * /metrics serves Prometheus text that moves with the runs.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createApp, type App } from '../src/server.js';
import { mintToken } from '../src/services/users/auth-service.js';
import { reply, startFakeLlm, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { FAKE_API_KEY } from './helpers/chat.js';
import { freshDatabase, TEST_SECRET, type FreshDatabase } from './helpers/server.js';

describe('observability', () => {
  const lines: string[] = [];
  let fake: FakeLlm;
  let database: FreshDatabase;
  let app: App;
  let url: string;
  let token: string;

  beforeAll(async () => {
    fake = await startFakeLlm();
    database = await freshDatabase('embedded');
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AUTH_SECRET: TEST_SECRET,
      LLM_BASE_URL: fake.url,
      LLM_MODEL: 'fake-model',
      LLM_API_KEY: FAKE_API_KEY,
      DEMO_MODEL: 'false',
      METRICS_TOKEN: 'metrics-secret',
      ...database.env,
    });
    app = await createApp(config, { logger: createLogger('debug', sink) });
    const { port } = await app.start();
    url = `http://127.0.0.1:${port}`;
    token = await mintToken(TEST_SECRET, { sub: 'observed', name: 'Observed' });
  });
  afterAll(async () => {
    await app?.stop();
    await database?.drop();
    await fake?.close();
  });

  async function gql(query: string, variables: Record<string, unknown> = {}, requestId?: string) {
    const response = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${token}`,
        ...(requestId ? { 'x-request-id': requestId } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    return (await response.json()) as any;
  }

  it('logs request, user and run ids and redacts keys and tokens', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('calculator', { expression: '1+1' })] }]), reply([{ text: 'two' }]));
    await gql(`mutation { createProvider(input: { name: "p", baseUrl: "https://api.example.com/v1", apiKey: "sk-provider-secret-abcdef123456", defaultModel: "m" }) { id } }`, {}, 'req-create');
    const sent = await gql(`mutation { sendMessage(input: { text: "1+1?", enabledTools: ["calculator"] }) { run { id } } }`, {}, 'req-send-1');
    const runGlobalId = sent.data.sendMessage.run.id as string;
    const runId = Buffer.from(runGlobalId, 'base64').toString().split(':')[1]!;
    for (let i = 0; i < 100; i++) {
      const run = await gql(`query($id: ID!) { run(id: $id) { status } }`, { id: runGlobalId });
      if (run.data.run.status === 'COMPLETED') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await new Promise((r) => setTimeout(r, 100));
    const entries = lines.map((l) => JSON.parse(l) as Record<string, any>);
    const operation = entries.find((e) => e.msg === 'graphql operation' && e.requestId === 'req-send-1');
    expect(operation).toMatchObject({ type: 'mutation', userId: expect.any(String) });
    const ended = entries.find((e) => e.msg === 'run ended' && e.runId === runId);
    expect(ended).toMatchObject({ outcome: 'COMPLETED', userId: operation!.userId });
    const everything = lines.join('\n');
    expect(everything).not.toContain(FAKE_API_KEY);
    expect(everything).not.toContain('sk-provider-secret-abcdef123456');
    expect(everything).not.toContain(token);
  });

  it('serves Prometheus metrics behind METRICS_TOKEN', async () => {
    expect((await fetch(`${url}/metrics`)).status).toBe(401);
    const response = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer metrics-secret' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await response.text();
    for (const name of [
      'chat_runs_active',
      'chat_runs_queued',
      'chat_run_duration_seconds_bucket',
      'chat_tokens_total',
      'chat_provider_first_byte_seconds_bucket',
      'chat_subscribers',
      'chat_events_published_total',
      'chat_event_log_lag_seconds_bucket',
      'chat_flush_writes_total',
      'chat_process_cpu_seconds_total',
    ]) {
      expect(text, name).toContain(name);
    }
    expect(text).toMatch(/chat_runs_ended_total\{outcome="COMPLETED"\} [1-9]/);
    expect(text).toMatch(/chat_tokens_total\{direction="out"\} [1-9]/);
  });
});
