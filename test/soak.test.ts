/**
 * Soak: many short runs from several concurrent users, some with a tool
 * call, each followed over graphql-ws to its end. No run may fail, and
 * afterwards nothing may be left behind: no bus listeners, no flusher
 * recorders or timer, no executing runs, active handles back near where
 * they started, heap (after a GC) within bounds. 60 runs over ~5 s in npm
 * test; 1,000 runs over ~1 min in the soak.
 */
import { runInNewContext } from 'node:vm';
import v8 from 'node:v8';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reply, startFakeLlm, text, toolCall, type FakeLlm, type Turn } from './fixtures/fake-llm.js';
import { follow, send, startChatServer, type Step } from './helpers/chat.js';
import { scaled, seededRng } from './helpers/scale.js';
import type { TestServer } from './helpers/server.js';

const RUNS = scaled(60, 1_000);
const USERS = scaled(6, 10);
const DURATION_MS = scaled(5_000, 60_000);

/** Short answers; a message asking to calculate gets a calculator call first. */
function respond(body: any): Turn {
  const last = body?.messages?.at(-1);
  if (last?.role === 'tool') return text('The result is in.', { delayMs: 2 });
  const content = typeof last?.content === 'string' ? last.content : '';
  if (content.startsWith('calc')) return reply([{ text: 'Calculating.' }, { toolCalls: [toolCall('calculator', { expression: '2*(3+4)' })] }], { delayMs: 2 });
  return reply([{ thinking: 'brief thought' }, { text: 'A short answer of a few words.' }], { delayMs: 2 });
}

/** A full GC when the flag can be turned on in this process (vitest workers start without --expose-gc). */
function collect(): boolean {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    gc();
    return true;
  } catch {
    return false;
  }
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

describe('soak', () => {
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm({ respond });
    server = await startChatServer(fake, {
      env: { SEND_RATE_PER_MINUTE: '1000000', MAX_ACTIVE_RUNS_PER_USER: '1000' },
    });
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it(`${RUNS} runs from ${USERS} users over ~${DURATION_MS / 1000} s: no errors, nothing left behind`, { timeout: scaled(60_000, 600_000) }, async () => {
    const rng = seededRng('soak');
    const tokens = await Promise.all(Array.from({ length: USERS }, (_, i) => server.token(`soak-user-${i}`, 1, `Soak ${i}`)));
    const { services } = server.app;

    // Warm up (module loading, pools, prepared plans), then take the baseline.
    for (const token of tokens.slice(0, 2)) {
      const { runId } = await send(server, token, { text: 'warm up' });
      await follow(server, token, runId);
    }
    await expect.poll(() => services.executor.activeCount === 0 && services.bus.listenerCount === 0, { timeout: 10_000 }).toBe(true);
    const hasGc = collect();
    const heapBefore = process.memoryUsage().heapUsed;
    const before = resources();

    const started = Date.now();
    const failures: string[] = [];
    let done = 0;
    let withTools = 0;
    const pace = (DURATION_MS * USERS) / RUNS; // each user's time between sends
    await Promise.all(
      tokens.map(async (token, u) => {
        const own = Math.floor(RUNS / USERS) + (u < RUNS % USERS ? 1 : 0);
        let conversationId: string | undefined;
        for (let i = 0; i < own; i++) {
          const sentAt = Date.now();
          const calc = rng.chance(0.3);
          if (calc) withTools++;
          // Mostly one conversation per user (a growing history), sometimes a new one.
          if (rng.chance(0.1)) conversationId = undefined;
          try {
            const sent = await send(server, token, {
              text: `${calc ? 'calc' : 'chat'} ${u}/${i}`,
              ...(conversationId ? { conversationId } : {}),
              enabledTools: calc ? ['calculator'] : [],
            });
            conversationId = sent.conversationId;
            const { steps, errors } = await follow(server, token, sent.runId);
            const last = steps.at(-1) as Step | undefined;
            if (errors.length > 0 || last?.__typename !== 'DoneStep') failures.push(`user ${u} run ${i}: ${JSON.stringify(errors.length ? errors : last)}`);
            else if (!steps.every((s, k) => s.seq === k + 1)) failures.push(`user ${u} run ${i}: seqs ${steps.map((s) => s.seq)}`);
            else if (calc && !steps.some((s) => s.__typename === 'ToolResultStep' && s.success)) failures.push(`user ${u} run ${i}: no tool result`);
          } catch (error) {
            failures.push(`user ${u} run ${i}: ${String(error)}`);
          }
          done++;
          const wait = pace * (0.5 + rng.next()) - (Date.now() - sentAt);
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
      }),
    );
    const elapsed = Date.now() - started;
    expect(failures.slice(0, 10)).toEqual([]);
    expect(done).toBe(RUNS);

    // Nothing left behind: no executing run, no listener, no recorder, no flush timer.
    await expect.poll(() => services.executor.activeCount, { timeout: 10_000 }).toBe(0);
    await expect.poll(() => services.bus.listenerCount, { timeout: 5_000 }).toBe(0);
    await expect.poll(() => services.flusher['recorders'].size === 0 && services.flusher['timer'] === undefined, { timeout: 5_000 }).toBe(true);
    const [{ active }] = await server.app.database.dataSource.query(`SELECT count(*)::int AS active FROM runs WHERE status IN ('QUEUED', 'RUNNING')`);
    expect(active).toBe(0);
    const [{ completed }] = await server.app.database.dataSource.query(`SELECT count(*)::int AS completed FROM runs WHERE status = 'COMPLETED'`);
    expect(completed).toBe(RUNS + 2);

    // Active handles back near the baseline: client keep-alive sockets close on their own within seconds.
    let after = resources();
    const grown = () => Object.entries(after).filter(([kind, n]) => n > (before[kind] ?? 0) + (kind === 'TCPSocketWrap' ? 4 : 2));
    await vi
      .waitFor(
        () => {
          after = resources();
          if (grown().length > 0) throw new Error('handles still open');
        },
        { timeout: 10_000, interval: 200 },
      )
      .catch(() => undefined);
    expect(Object.fromEntries(grown().map(([kind, n]) => [kind, { before: before[kind] ?? 0, after: n }]))).toEqual({});

    collect();
    const heapAfter = process.memoryUsage().heapUsed;
    const mb = (n: number) => `${(n / 2 ** 20).toFixed(1)} MB`;
    process.stdout.write(
      `[soak] ${RUNS} runs (${withTools} with a tool call) from ${USERS} users in ${elapsed} ms; ` +
        `handles ${JSON.stringify(before)} -> ${JSON.stringify(after)}; heap ${mb(heapBefore)} -> ${mb(heapAfter)}${hasGc ? ' (after GC)' : ' (no GC available)'}\n`,
    );
    if (hasGc) expect(heapAfter).toBeLessThan(heapBefore * 1.5 + 32 * 2 ** 20);
  });
});
