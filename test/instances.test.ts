/**
 * Several server instances on one PostgreSQL database: instances started at
 * the same moment on a fresh database all start and leave exactly one row
 * per configuration-managed provider.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { createApp, type App } from '../src/server.js';
import { describePostgres, freshDatabase, TEST_SECRET, type FreshDatabase } from './helpers/server.js';

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
