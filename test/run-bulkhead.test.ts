/**
 * One run's output that the database refuses must never stall the other
 * runs of the instance. A real refusal of the real batched statement: a
 * CHECK constraint added to this test's database rejects any event whose
 * text holds a marker, as PostgreSQL rejected a lone surrogate before the
 * server made all output storable. The run that streams it ends INTERNAL at
 * the next seq with its stored answer; every other run completes, gapless;
 * the log holds one line for it, without the text.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, expectGapless, follow, readRun, send, startChatServer, type Step } from './helpers/chat.js';
import { captureLog } from './helpers/log.js';
import { sql } from './helpers/rows.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

const RUNS = 20;
const USERS = 5;
const words = (from: number, count: number) => Array.from({ length: count }, (_, i) => `w${from + i}`).join(' ');

describeEachBackend('a run whose output the database refuses', (backend) => {
  const log = captureLog('info');
  let fake: FakeLlm;
  let server: TestServer;
  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake, { backend, logger: log.logger });
    await sql(
      server,
      `ALTER TABLE run_events ADD CONSTRAINT refuses_marker CHECK (position('MARKER' in coalesce(payload->>'delta', '')) = 0)`,
    );
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it(`ends INTERNAL at the next seq while the ${RUNS - 1} others complete, gapless, with a bounded log`, async () => {
    // Every run trickles 30 words; one of them (whichever takes that turn) says the marker half-way.
    const poisoned = `${words(0, 15)} MARKER ${words(15, 15)}`;
    for (let i = 0; i < RUNS; i++) {
      fake.enqueue(text(i === RUNS / 2 ? poisoned : words(0, 30), { delayMs: 15 }));
    }
    const tokens = await Promise.all(Array.from({ length: USERS }, (_, u) => server.token(`bulkhead-${u}`)));
    const sent = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => send(server, tokens[i % USERS]!, { text: `question ${i}` })),
    );
    const followed = await Promise.all(sent.map((s, i) => follow(server, tokens[i % USERS]!, s.runId)));

    const endings = followed.map(({ steps }) => steps.at(-1)!);
    const failed = followed.filter(({ steps }) => steps.at(-1)!.__typename === 'ErrorStep');
    expect(endings.filter((s) => s.__typename === 'DoneStep')).toHaveLength(RUNS - 1);
    expect(failed).toHaveLength(1);
    for (const { steps } of followed) expect(expectGapless(steps)).toBe(true);
    const completedText = (steps: Step[]) => steps.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('');
    for (const { steps } of followed.filter((f) => f !== failed[0])) expect(completedText(steps)).toBe(words(0, 30));

    // The refused run: INTERNAL right after what was stored, its answer so far kept.
    const steps = failed[0]!.steps;
    expect(steps.at(-1)).toMatchObject({ code: 'INTERNAL', retryable: false });
    const kept = completedText(steps);
    expect(kept).not.toContain('MARKER');
    expect(words(0, 15).startsWith(kept.trim())).toBe(true);
    const index = followed.indexOf(failed[0]!);
    const run = await readRun(server, tokens[index % USERS]!, sent[index]!.runId);
    expect(run).toMatchObject({ status: 'FAILED', error: { code: 'INTERNAL' }, lastSeq: steps.at(-1)!.seq });
    if (kept === '') expect(run.assistantMessage).toBeNull();
    else expect(run.assistantMessage.text).toBe(kept);

    // The instance goes on: the same conversation takes the next message.
    fake.enqueue(text('still answering'));
    const next = await chat(server, tokens[index % USERS]!, { conversationId: sent[index]!.conversationId, text: 'again?' });
    expect(next.last).toMatchObject({ __typename: 'DoneStep' });

    // One error line for the refused run, naming it and the SQLSTATE, never the text.
    const errors = log.atLeast(50);
    const completed = followed.length - failed.length;
    process.stdout.write(
      `[bulkhead ${backend}] ${completed}/${RUNS - 1} other runs completed gapless; the refused run ended INTERNAL at seq ` +
        `${steps.at(-1)!.seq}; log: ${log.lines.length} lines in all, ${errors.length} at error level, ${log.atLeast(40).length} at warn or above\n`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ runId: expect.any(String), code: '23514' });
    expect(log.lines.join('\n')).not.toContain('MARKER');
    expect(log.lines.join('\n')).not.toContain('w14');
  });
});
