/**
 * Provider faults end a run with the right ErrorStep code, keep what was
 * produced before the fault, and leave the conversation ready for the next
 * message. The SDK's own retries cover 429 and 5xx before the first byte
 * (and not a retry-after it would have to wait for); a stream that breaks
 * later is never retried.
 */
import { expect, it } from 'vitest';
import { chatRequests, text, type FakeLlm, type Turn } from './fixtures/fake-llm.js';
import { chat, FAKE_API_KEY, follow, readRun, send, chatSuite } from './helpers/chat.js';
import { expectRunFailed, expectStillServing, messagesOf } from './helpers/runs.js';
import { describeEachBackend, type TestServer } from './helpers/server.js';

describeEachBackend('provider faults', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  chatSuite(backend, { sub: 'faulty', name: 'Faulty' }, (suite) => ({ fake, server, token } = suite));

  /** Sends one message after queueing `turns`; returns the run and how many chat requests the fake saw for it. */
  async function runWith(...turns: Turn[]) {
    fake.enqueue(...turns);
    const before = chatRequests(fake).length;
    const started = Date.now();
    const result = await chat(server, token, { text: 'tell me something' });
    return { ...result, requests: chatRequests(fake).length - before, elapsedMs: Date.now() - started };
  }

  const http = (status: number, body?: unknown, headers?: Record<string, string>): Turn => ({ type: 'http', status, body, headers });

  it('401: AUTHENTICATION, not retryable, nothing of the key in the message, no message kept', async () => {
    const result = await runWith(
      http(401, { error: { message: `Incorrect API key provided: ${FAKE_API_KEY}. You can find your key at ...`, type: 'invalid_request_error', code: 'invalid_api_key' } }),
    );
    const { run, last } = await expectRunFailed(server, token, result, 'AUTHENTICATION', null);
    expect(result.requests).toBe(1);
    for (const message of [last.message, run.error.message]) {
      for (const part of ['sk-test', 'fake-key', '0123456789', 'abcdef', FAKE_API_KEY.slice(-4)]) expect(message).not.toContain(part);
    }
    // The run produced no step: the ErrorStep is the only one, index 0.
    expect(result.steps).toHaveLength(1);
    expect(last.index).toBe(0);
    expect(await messagesOf(server, token, result.conversationId)).toEqual([['USER', 'tell me something']]);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('429 then success: the SDK retries once and the run completes', async () => {
    const result = await runWith(http(429, { error: { message: 'slow down', type: 'rate_limit' } }), text('Worked the second time.'));
    expect(result.last).toMatchObject({ __typename: 'DoneStep' });
    expect(result.requests).toBe(2);
    const run = await readRun(server, token, result.runId);
    expect(run.status).toBe('COMPLETED');
    expect(run.assistantMessage.text).toBe('Worked the second time.');
  });

  it('429 three times (LLM_MAX_RETRIES=2): RATE_LIMITED after 3 attempts', async () => {
    const limited = http(429, { error: { message: 'slow down', type: 'rate_limit' } });
    const result = await runWith(limited, limited, limited);
    await expectRunFailed(server, token, result, 'RATE_LIMITED', null);
    expect(result.requests).toBe(3);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('429 with retry-after: 60 is not waited for: RATE_LIMITED at once, one request', async () => {
    const result = await runWith(http(429, { error: { message: 'slow down', type: 'rate_limit' } }, { 'retry-after': '60' }));
    await expectRunFailed(server, token, result, 'RATE_LIMITED', null);
    expect(result.requests).toBe(1);
    expect(result.elapsedMs).toBeLessThan(5_000);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('500 then success: retried and completed', async () => {
    const result = await runWith(http(500, { error: { message: 'oops', type: 'server_error' } }), text('Recovered.'));
    expect(result.last).toMatchObject({ __typename: 'DoneStep' });
    expect(result.requests).toBe(2);
    expect((await readRun(server, token, result.runId)).status).toBe('COMPLETED');
  });

  it('500 three times: PROVIDER_ERROR after 3 attempts', async () => {
    const failing = http(500, { error: { message: 'oops', type: 'server_error' } });
    const result = await runWith(failing, failing, failing);
    await expectRunFailed(server, token, result, 'PROVIDER_ERROR', null);
    expect(result.requests).toBe(3);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('400 context_length_exceeded: CONTEXT_LENGTH, not retried', async () => {
    const result = await runWith(
      http(400, {
        error: {
          code: 'context_length_exceeded',
          type: 'invalid_request_error',
          message: "This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.",
        },
      }),
    );
    await expectRunFailed(server, token, result, 'CONTEXT_LENGTH', null);
    expect(result.requests).toBe(1);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('socket dropped mid-stream: PROVIDER_ERROR, the partial text kept, no retry', async () => {
    // Chunks: the role delta, then one word each; the socket drops after 3 words (sent slowly enough
    // that they reach the client: a drop before the first byte is a connection error the SDK retries).
    const result = await runWith(text('alpha beta gamma delta epsilon', { delayMs: 10, fault: { after: 4, kind: 'drop' } }));
    const { run } = await expectRunFailed(server, token, result, 'PROVIDER_ERROR', 'alpha beta gamma ');
    expect(result.requests).toBe(1);
    expect(run.assistantMessage.steps.map((s: any) => [s.__typename, s.content])).toEqual([['TextStep', 'alpha beta gamma ']]);
    expect(await messagesOf(server, token, result.conversationId)).toEqual([
      ['USER', 'tell me something'],
      ['ASSISTANT', 'alpha beta gamma '],
    ]);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('a stall mid-stream: TIMEOUT after LLM_STALL_TIMEOUT_MS, the partial text kept', async () => {
    const result = await runWith(text('one two three four five', { fault: { after: 3, kind: 'stall' } }));
    await expectRunFailed(server, token, result, 'TIMEOUT', 'one two ');
    expect(result.requests).toBe(1);
    expect(result.elapsedMs).toBeGreaterThanOrEqual(1_400);
    expect(result.elapsedMs).toBeLessThan(10_000);
    // The stalled request was aborted.
    expect(fake.open).toBe(0);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('a provider that holds the connection open after [DONE]: the answer is complete, not a stall', async () => {
    fake.enqueue(text('all of it', { holdOpenAfterDone: true }));
    const started = Date.now();
    const { last } = await chat(server, token, { text: 'and then silence' });
    expect(last).toMatchObject({ __typename: 'DoneStep' });
    expect(Date.now() - started).toBeLessThan(1_400);
    // The server let go of the response.
    await expect.poll(() => fake.open).toBe(0);
  });

  it('a provider that never sends headers: TIMEOUT after one attempt (a hang is not retried)', async () => {
    const result = await runWith({ type: 'hang' });
    await expectRunFailed(server, token, result, 'TIMEOUT', null);
    expect(result.requests).toBe(1);
    expect(result.elapsedMs).toBeLessThan(20_000);
    expect(fake.open).toBe(0);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('a malformed chunk: PROVIDER_ERROR with the text before it', async () => {
    const result = await runWith(text('red green blue', { fault: { after: 3, kind: 'malformed' } }));
    await expectRunFailed(server, token, result, 'PROVIDER_ERROR', 'red green ');
    expect(result.requests).toBe(1);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('an in-stream {"error": ...}: PROVIDER_ERROR with the provider message and the text before it', async () => {
    const result = await runWith(text('north south east west', { fault: { after: 2, kind: 'error' } }));
    const { last } = await expectRunFailed(server, token, result, 'PROVIDER_ERROR', 'north ');
    expect(last.message).toContain('overloaded');
    expect(result.requests).toBe(1);
    await expectStillServing(server, fake, token, result.conversationId);
  });

  it('by the time a subscriber sees the ErrorStep, the run row and message are final and the next message is accepted', async () => {
    fake.enqueue(text('partial words here and more', { delayMs: 10, fault: { after: 3, kind: 'error' } }), text('Next answer.'));
    const sent = await send(server, token, { text: 'fail soon' });
    let checked: Promise<unknown> | undefined;
    await follow(server, token, sent.runId, 0, (step) => {
      if (step.__typename !== 'ErrorStep') return;
      // Right away, without waiting for anything else.
      checked = Promise.all([
        readRun(server, token, sent.runId),
        send(server, token, { conversationId: sent.conversationId, text: 'next one' }),
      ]);
    });
    const [run, next] = (await checked) as [any, { runId: string }];
    expect(run.status).toBe('FAILED');
    expect(run.error.code).toBe('PROVIDER_ERROR');
    expect(run.assistantMessage.text).toBe('partial words ');
    expect(run.assistantMessage.steps).toHaveLength(1);
    const { steps } = await follow(server, token, next.runId);
    expect(steps.at(-1)!.__typename).toBe('DoneStep');
  });

  it('an error body that echoes the key is redacted before a user sees it', async () => {
    const result = await runWith(http(400, { error: { message: `Bad request for key ${FAKE_API_KEY}`, type: 'invalid_request_error' } }));
    const { run, last } = await expectRunFailed(server, token, result, 'PROVIDER_ERROR', null);
    for (const message of [last.message, run.error.message]) {
      expect(message).toContain('400');
      for (const part of ['sk-test', 'fake-key', '0123456789', 'abcdef']) expect(message).not.toContain(part);
    }
  });

  it('finish_reason length or content_filter still completes, reporting the reason', async () => {
    for (const finishReason of ['length', 'content_filter']) {
      const result = await runWith(text('cut short', { finishReason }));
      expect(result.last).toMatchObject({ __typename: 'DoneStep', finishReason });
      expect((await readRun(server, token, result.runId)).status).toBe('COMPLETED');
    }
  });
});
