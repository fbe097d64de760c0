/**
 * `npm start` on the embedded default, killed hard mid-run: the server
 * with SIGKILL, or its PostgreSQL with SIGKILL (then the server too). A
 * server restarted on the same DATA_DIR starts the cluster again (crash
 * recovery; fsync is on) and shows that nothing a subscriber saw was lost:
 * every event seen is stored as it was seen, and the run ends INTERRUPTED at
 * the next seq, so no run is left "streaming".
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mintToken } from '../src/services/users/auth-service.js';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { chatProcessEnv, follow, followUntilKilled, readRun, startChatServer } from './helpers/chat.js';
import { spawnServer } from './helpers/process.js';
import { rowIdOf, sql } from './helpers/rows.js';
import { ownEmbeddedDatabase, TEST_SECRET, type FreshDatabase, type TestServer } from './helpers/server.js';

const postmasterOf = (dataDir: string) => Number(fs.readFileSync(path.join(dataDir, 'postgres', 'postmaster.pid'), 'utf8').split('\n')[0]);

describe('the embedded default killed mid-run', () => {
  let fake: FakeLlm;
  const cleanup: (() => Promise<unknown> | unknown)[] = [];
  beforeAll(async () => {
    fake = await startFakeLlm();
  });
  afterAll(async () => {
    for (const step of cleanup.reverse()) await step();
    await fake?.close();
  });

  for (const victim of ['the server', 'its PostgreSQL'] as const) {
    it(`SIGKILL of ${victim}: a restart on the same DATA_DIR keeps every event seen and ends the run INTERRUPTED`, async () => {
      const database: FreshDatabase = ownEmbeddedDatabase();
      cleanup.push(() => database.drop());
      const started = await spawnServer(chatProcessEnv(fake, database, { RUN_LEASE_MS: '1000', LOG_LEVEL: 'warn' }));
      cleanup.push(() => started.child.kill('SIGKILL'));
      const token = await mintToken(TEST_SECRET, { sub: 'embedded-crash', name: 'Crash' });
      fake.enqueue(text(Array.from({ length: 400 }, (_, i) => `word${i}`).join(' '), { delayMs: 30 }));
      const sent = await fetch(started.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: 'mutation { sendMessage(input: { text: "a long story" }) { run { id } } }' }),
      }).then((r) => r.json() as Promise<any>);
      const runId: string = sent.data.sendMessage.run.id;

      const { seen, killed } = await followUntilKilled(
        started.url,
        token,
        runId,
        (seen) => seen.filter((s) => s.__typename === 'TextStep').length >= 5,
        async () => {
          if (victim === 'its PostgreSQL') {
            process.kill(postmasterOf(database.env.DATA_DIR!), 'SIGKILL');
            // The server goes on without its database for a moment, then dies too.
            await new Promise((resolve) => setTimeout(resolve, 300));
          }
          started.child.kill('SIGKILL');
        },
      );
      await started.exited;
      expect(killed).toBe(true);
      const lastSeen = seen.at(-1)!.seq;

      // The same DATA_DIR, a new server: the cluster comes back, the sweep ends the run.
      const second: TestServer = await startChatServer(fake, { database, env: { RUN_LEASE_MS: '1000' } });
      cleanup.push(() => second.stop());
      const resumed = await follow(second, token, runId, lastSeen);
      const ending = resumed.steps.at(-1)!;
      expect(ending).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED' });
      expect(resumed.steps.map((s) => s.seq)).toEqual(Array.from({ length: ending.seq - lastSeen }, (_, i) => lastSeen + 1 + i));

      // Every event seen is stored as it was seen.
      const stored = await sql<{ seq: number; step_id: string; delta: string | null }>(
        second,
        `SELECT seq, step_id, payload->>'delta' AS delta FROM run_events WHERE run_id = $1 AND seq <= $2 ORDER BY seq`,
        [rowIdOf(runId), lastSeen],
      );
      expect(stored).toEqual(seen.map((s) => ({ seq: s.seq, step_id: s.id, delta: s.delta ?? null })));
      expect((await readRun(second, token, runId)).status).toBe('INTERRUPTED');
      const active = await sql(second, `SELECT id FROM runs WHERE status IN ('QUEUED', 'RUNNING')`);
      expect(active).toEqual([]);
    });
  }
});
