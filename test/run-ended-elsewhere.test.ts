/**
 * Another instance's sweep may end a run whose owner is still alive (its
 * heartbeat looked stale, say during a database outage). The sweep's
 * ending takes the next seq, the one the owner was about to write, so the
 * owner's tick fails: the owner must drop that run and stop it, not retry
 * a tick that can never succeed and stall every other run with it.
 */
import { expect, it } from 'vitest';
import { text, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, chatSuite, expectGapless, follow, send, type Step } from './helpers/chat.js';
import { rowIdOf, sql } from './helpers/rows.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('a run ended by another instance', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  // A lease of an hour: the periodic sweep stays out of the way of the sweeps these tests call.
  chatSuite(backend, { sub: 'owner', name: 'Owner' }, (suite) => ({ fake, server, token } = suite), {
    env: { RUN_LEASE_MS: '3600000', LLM_STALL_TIMEOUT_MS: '60000' },
  });

  it('is dropped and stopped by its owner, whose other runs go on', async () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ');
    fake.enqueue(text(words, { delayMs: 20 }));
    const { runId } = await send(server, token, { text: 'a slow answer' });
    const seen: Step[] = [];
    const following = follow(server, token, runId, 0, (step) => seen.push(step));
    await expect.poll(() => seen.filter((s) => s.__typename === 'TextStep').length, { timeout: 5_000 }).toBeGreaterThanOrEqual(3);

    // Make it look like another instance's run with a stale heartbeat, and let the sweep end it.
    await sql(server, `UPDATE runs SET owner_instance = 'gone', heartbeat_at = now() - interval '2 hours' WHERE id = $1`, [rowIdOf(runId)]);
    // The owner keeps inserting meanwhile; on a loaded machine a sweep may time out waiting for the row and try again.
    await expect.poll(() => server.app.services.executor.sweep(), { timeout: 20_000, interval: 0 }).toBe(1);

    // Its follower gets the sweep's ending, gapless.
    const { steps } = await following;
    expect(expectGapless(steps)).toBe(true);
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED' });
    // The owner stopped the run: its provider request was let go.
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);

    // The flusher still writes: a new run completes.
    fake.enqueue(text('still here'));
    const next = await chat(server, token, { text: 'anyone?' });
    expect(next.last).toMatchObject({ __typename: 'DoneStep' });
    const [row] = await sql(server, 'SELECT status FROM runs WHERE id = $1', [rowIdOf(runId)]);
    expect(row!.status).toBe('INTERRUPTED');
  });

  it('is ended by the sweep even while the owner\'s flush is inserting its events', async () => {
    // A few events, then the provider goes quiet: the only lock on the row is the one this test holds.
    fake.enqueue(text(Array.from({ length: 200 }, (_, i) => `v${i}`).join(' '), { delayMs: 20, fault: { after: 4, kind: 'stall' } }));
    const { runId } = await send(server, token, { text: 'another slow answer' });
    const seen: Step[] = [];
    const following = follow(server, token, runId, 0, (step) => seen.push(step));
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBeGreaterThanOrEqual(2);
    await sql(server, `UPDATE runs SET owner_instance = 'gone', heartbeat_at = now() - interval '2 hours' WHERE id = $1`, [rowIdOf(runId)]);
    // An event insert in flight holds a KEY SHARE lock on the run's row (its foreign key), as a flush does.
    const flush = server.app.database.dataSource.createQueryRunner();
    await flush.connect();
    await flush.startTransaction();
    await flush.query(`SELECT 1 FROM runs WHERE id = $1 FOR KEY SHARE`, [rowIdOf(runId)]);
    const sweeping = server.app.services.executor.sweep();
    // The flush commits a moment later: the sweep waits for it rather than skip the run.
    setTimeout(() => void flush.rollbackTransaction().finally(() => flush.release()), 300);
    expect(await sweeping).toBe(1);
    const { steps } = await following;
    expect(steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'INTERRUPTED' });
  });
});
