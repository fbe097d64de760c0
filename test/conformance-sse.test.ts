/**
 * Subscriptions over server-sent events: yoga's built-in SSE transport
 * (POST /graphql with `accept: text/event-stream`), read by a small
 * spec-following event-stream reader over fetch's body. A client that
 * aborts mid-run and resubscribes with `after` = the newest seq it saw gets
 * a gapless stream that ends with the DoneStep.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeLlm, text, type FakeLlm } from './fixtures/fake-llm.js';
import { expectGapless, send, startChatServer, STEP_FIELDS, type Step } from './helpers/chat.js';
import type { TestServer } from './helpers/server.js';
import { readEvents } from './helpers/sse.js';

const STEPS = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`;

describe('chatSteps over SSE (yoga)', () => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;

  /** Subscribes over SSE; `stopAfter` aborts the request after that many steps. */
  async function subscribe(runId: string, after: number, stopAfter = Number.POSITIVE_INFINITY, auth: string | null = token) {
    const abort = new AbortController();
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
    if (auth) headers.authorization = `Bearer ${auth}`;
    const response = await fetch(server.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query: STEPS, variables: { runId, after } }),
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const steps: Step[] = [];
    const errors: any[] = [];
    let completed = false;
    try {
      for await (const event of readEvents(response.body!)) {
        if (event.event === 'complete') {
          completed = true;
          break;
        }
        expect(event.event).toBe('next');
        const result = JSON.parse(event.data);
        if (result.errors) errors.push(...result.errors);
        if (result.data?.chatSteps) steps.push(result.data.chatSteps);
        if (steps.length >= stopAfter) {
          abort.abort();
          break;
        }
      }
    } catch (error) {
      if (!abort.signal.aborted) throw error;
    }
    return { steps, errors, completed };
  }

  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake);
    token = await server.token('sse-reader', 1, 'Reader');
  });
  afterAll(async () => {
    await server?.stop();
    await fake?.close();
  });

  it('streams a run, survives an abort, and resumes gaplessly with after = the newest seq', async () => {
    const words = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau upsilon';
    fake.enqueue(text(words, { delayMs: 40 }));
    const { runId } = await send(server, token, { text: 'stream over SSE' });

    const first = await subscribe(runId, 0, 3);
    expect(first.steps.map((s) => s.seq)).toEqual([1, 2, 3]);
    expect(first.completed).toBe(false);
    // The aborted request's server-side listener goes away.
    await expect.poll(() => server.app.services.bus.listenerCount, { timeout: 5_000 }).toBe(0);

    const lastSeq = first.steps.at(-1)!.seq;
    const rest = await subscribe(runId, lastSeq);
    expect(rest.completed).toBe(true);
    expect(rest.errors).toEqual([]);
    const all = [...first.steps, ...rest.steps];
    expect(expectGapless(all)).toBe(true);
    expect(all.at(-1)!.__typename).toBe('DoneStep');
    expect(all.filter((s) => s.__typename === 'TextStep').map((s) => s.delta).join('')).toBe(words);

    // A finished run replays identically over SSE.
    const replay = await subscribe(runId, 0);
    expect(replay.steps).toEqual(all);
  });

  it('answers one error result, then completes, for a run the viewer cannot see', async () => {
    const other = await server.token('sse-stranger', 1);
    fake.enqueue(text('private'));
    const { runId } = await send(server, token, { text: 'mine' });
    const result = await subscribe(runId, 0, Number.POSITIVE_INFINITY, other);
    expect(result.steps).toEqual([]);
    expect(result.errors.map((e) => e.extensions?.code)).toEqual(['NOT_FOUND']);
    expect(result.completed).toBe(true);
  });
});
