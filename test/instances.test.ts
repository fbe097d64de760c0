/**
 * Several server instances on one PostgreSQL database: instances started at
 * the same moment on a fresh database all start and leave exactly one row
 * per configuration-managed provider; and each instance serves its own
 * demo runs, so stopping another instance never breaks them, while nobody
 * outside the server can call the demo endpoint.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { chat } from './helpers/chat.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createApp, type App } from '../src/server.js';
import { describePostgres, freshDatabase, startServer, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';
import { sql } from './helpers/rows.js';

describePostgres('instances started together on a fresh database', () => {
  let database: FreshDatabase;
  const apps: App[] = [];
  beforeAll(async () => {
    database = await freshDatabase('postgres');
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.stop()));
    await database?.drop();
  });

  it('all start, with one managed row per kind', async () => {
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'silent',
      AUTH_SECRET: TEST_SECRET,
      LLM_BASE_URL: 'http://127.0.0.1:9/v1',
      LLM_MODEL: 'm',
      ...database.env,
    });
    // Built first, then started in the same tick: start() is where the managed rows are synced.
    for (let i = 0; i < 6; i++) apps.push(await createApp(config, { logger: createLogger('silent') }));
    const started = await Promise.allSettled(apps.map((app) => app.start()));
    expect(started.filter((s) => s.status === 'rejected').map((s) => String((s as PromiseRejectedResult).reason))).toEqual([]);
    const rows: { managed_by: string }[] = await apps[0]!.database.dataSource.query(
      'SELECT managed_by FROM providers WHERE managed_by IS NOT NULL ORDER BY managed_by',
    );
    expect(rows).toEqual([{ managed_by: 'default' }, { managed_by: 'demo' }]);
  });
});

describePostgres('the demo model across instances', () => {
  let database: FreshDatabase;
  let a: TestServer;
  let b: TestServer | undefined;
  beforeAll(async () => {
    database = await freshDatabase('postgres');
    a = await startServer({ database });
    b = await startServer({ database });
  });
  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await database?.drop();
  });

  it('answers a demo run on A after B, started last, has stopped', async () => {
    const bPort = b!.port;
    await b!.stop();
    b = undefined;
    const token = await a.token('demo-user');
    const { steps, errors } = await chat(a, token, { text: 'What time is it?', enabledTools: ['current_time'] });
    expect(errors).toEqual([]);
    expect(steps.at(-1)).toMatchObject({ __typename: 'DoneStep', finishReason: 'stop', iterations: 2 });
    const [row] = await sql<{ base_url: string }>(a, `SELECT base_url FROM providers WHERE managed_by = 'demo'`);
    expect(row!.base_url).not.toMatch(new RegExp(`:(${a.port}|${bPort})\\b`));
    expect(new URL(row!.base_url).hostname).not.toMatch(/^(127\.|localhost|\[::1\])/);
  });

  it('does not answer completions to anyone on the public port', async () => {
    const origin = `http://127.0.0.1:${a.port}`;
    const response = await fetch(`${origin}/demo/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'demo', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = await response.text();
    expect([401, 404]).toContain(response.status);
    expect(body).not.toContain('chat.completion.chunk');
    const models = await fetch(`${origin}/demo/v1/models`);
    expect([401, 404]).toContain(models.status);
  });
});
