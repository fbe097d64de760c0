/**
 * cancelRun aborts the provider request and running tools, keeps the
 * partial answer, ends the stream with ErrorStep CANCELLED and returns the
 * run once stopped; it is idempotent on finished runs and scoped to the
 * viewer. Deleting a conversation cancels its active run first. A
 * subscription that cannot start answers one result with the error, then
 * completes.
 */
import { describe, expect, it } from 'vitest';
import { chatRequests, reply, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { chat, follow, readRun, RUN_FIELDS, send, STEP_FIELDS, type Step, chatSuite } from './helpers/chat.js';
import { unknownId } from './helpers/rows.js';
import { expectRunFailed, registerTestTools, sleep, type SleepRecord } from './helpers/runs.js';
import { codeOf, describeEachBackend, type TestServer } from './helpers/server.js';

const CANCEL = `mutation($id: ID!) { cancelRun(id: $id) { ${RUN_FIELDS} } }`;
const words = (n: number) => Array.from({ length: n }, (_, i) => `w${i}`).join(' ');

describeEachBackend('cancelling runs', (backend) => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  let sleeps: SleepRecord[];
  chatSuite(backend, { sub: 'canceller', name: 'Canceller' }, (suite) => {
    ({ fake, server, token } = suite);
    ({ sleeps } = registerTestTools(server));
  });

  /** Starts following; resolves `reached` once `until` holds for a step. */
  function followUntil(runId: string, until: (step: Step, all: Step[]) => boolean) {
    let resolveReached!: () => void;
    const reached = new Promise<void>((resolve) => (resolveReached = resolve));
    const seen: Step[] = [];
    const done = follow(server, token, runId, 0, (step) => {
      seen.push(step);
      if (until(step, seen)) resolveReached();
    });
    return { reached, done };
  }

  it('mid-stream: returns the run CANCELLED, ends the stream, keeps the partial text, aborts the request', async () => {
    fake.enqueue(text(words(200), { delayMs: 30 }));
    const before = chatRequests(fake).length;
    const sent = await send(server, token, { text: 'talk slowly' });
    const { reached, done } = followUntil(sent.runId, (_s, all) => all.filter((s) => s.__typename === 'TextStep').length >= 3);
    await reached;
    expect(fake.open).toBe(1);
    const started = Date.now();
    const response = await server.gql(CANCEL, { id: sent.runId }, token);
    expect(response.errors).toBeUndefined();
    const run = response.data!.cancelRun;
    expect(Date.now() - started).toBeLessThan(5_000);
    // Returned once stopped: final status, error and partial answer already in place.
    expect(run.status).toBe('CANCELLED');
    expect(run.error.code).toBe('CANCELLED');
    expect(run.finishedAt).not.toBeNull();
    expect(run.assistantMessage.text.length).toBeGreaterThan(0);
    expect(words(200).startsWith(run.assistantMessage.text)).toBe(true);
    expect(run.assistantMessage.text.length).toBeLessThan(words(200).length);

    const result = await done;
    await expectRunFailed(server, token, { ...result, runId: sent.runId }, 'CANCELLED', run.assistantMessage.text);
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);
    expect(chatRequests(fake).length - before).toBe(1);
    // The conversation takes the next message.
    fake.enqueue(text('Next.'));
    const next = await chat(server, token, { conversationId: sent.conversationId, text: 'again' });
    expect(next.last.__typename).toBe('DoneStep');
  });

  it('mid-tool: aborts the tool, CANCELLED, and no ToolResultStep after the cancel', async () => {
    fake.enqueue(reply([{ toolCalls: [toolCall('sleepy', { label: 'cancel-me', ms: 10_000 }, 'call_sleep')] }]));
    sleeps.length = 0;
    const sent = await send(server, token, { text: 'sleep', enabledTools: ['sleepy'] });
    const { reached, done } = followUntil(sent.runId, (s) => s.__typename === 'ToolCallStep');
    await reached;
    await expect.poll(() => sleeps.length, { timeout: 5_000 }).toBe(1);
    const started = Date.now();
    const response = await server.gql(CANCEL, { id: sent.runId }, token);
    expect(response.data!.cancelRun.status).toBe('CANCELLED');
    expect(Date.now() - started).toBeLessThan(5_000);
    const result = await done;
    expect(result.steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED', retryable: false });
    expect(result.steps.some((s) => s.__typename === 'ToolResultStep')).toBe(false);
    // The tool saw the abort.
    await expect.poll(() => sleeps[0]!.end !== undefined, { timeout: 5_000 }).toBe(true);
    expect(sleeps[0]!.aborted).toBe(true);
    // Nothing is recorded later either.
    await sleep(200);
    const replay = await follow(server, token, sent.runId);
    expect(replay.steps).toEqual(result.steps);
    const run = await readRun(server, token, sent.runId);
    expect(run.assistantMessage.steps.map((s: any) => s.__typename)).toEqual(['ToolCallStep']);
    expect(result.steps.at(-1)!.partialMessageId).toBe(run.assistantMessage.id);
  });

  it('while the provider has not answered yet: CANCELLED with nothing produced, the request aborted', async () => {
    fake.enqueue({ type: 'hang' });
    const sent = await send(server, token, { text: 'hang on' });
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(1);
    const following = follow(server, token, sent.runId);
    const response = await server.gql(CANCEL, { id: sent.runId }, token);
    expect(response.data!.cancelRun).toMatchObject({ status: 'CANCELLED', assistantMessage: null, error: { code: 'CANCELLED' } });
    const result = await following;
    await expectRunFailed(server, token, { ...result, runId: sent.runId }, 'CANCELLED', null);
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);
  });

  it('is idempotent on finished runs: returns them unchanged', async () => {
    fake.enqueue(text('finished answer'));
    const done = await chat(server, token, { text: 'quick' });
    const before = await readRun(server, token, done.runId);
    const first = await server.gql(CANCEL, { id: done.runId }, token);
    expect(first.data!.cancelRun).toEqual(before);
    expect(first.data!.cancelRun.status).toBe('COMPLETED');
    // And a cancelled run stays as it is.
    fake.enqueue(text(words(100), { delayMs: 30 }));
    const sent = await send(server, token, { text: 'slow' });
    const cancelled = (await server.gql(CANCEL, { id: sent.runId }, token)).data!.cancelRun;
    expect(cancelled.status).toBe('CANCELLED');
    const again = (await server.gql(CANCEL, { id: sent.runId }, token)).data!.cancelRun;
    expect(again).toEqual(cancelled);
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);
  });

  it("answers NOT_FOUND for another user's run and for unknown or malformed ids, cancelling nothing", async () => {
    fake.enqueue(text(words(60), { delayMs: 20 }));
    const sent = await send(server, token, { text: 'mine' });
    const other = await server.token('someone-else');
    const foreign = await server.gql(CANCEL, { id: sent.runId }, other);
    const unknown = await server.gql(CANCEL, { id: unknownId('Run') }, other);
    const malformed = await server.gql(CANCEL, { id: 'not-an-id' }, other);
    expect([codeOf(foreign), codeOf(unknown), codeOf(malformed)]).toEqual(['NOT_FOUND', 'NOT_FOUND', 'NOT_FOUND']);
    expect(foreign.errors![0]!.message).toBe(unknown.errors![0]!.message);
    expect(malformed.errors![0]!.message).toBe(unknown.errors![0]!.message);
    const { steps } = await follow(server, token, sent.runId);
    expect(steps.at(-1)!.__typename).toBe('DoneStep');
  });

  it('deleteConversation cancels the active run first, then deletes', async () => {
    fake.enqueue(text(words(200), { delayMs: 30 }));
    const sent = await send(server, token, { text: 'doomed' });
    const { reached, done } = followUntil(sent.runId, (s) => s.__typename === 'TextStep');
    await reached;
    const deleted = await server.gql('mutation($id: ID!) { deleteConversation(id: $id) }', { id: sent.conversationId }, token);
    expect(deleted.errors).toBeUndefined();
    expect(deleted.data!.deleteConversation).toBe(sent.conversationId);
    const result = await done;
    expect(result.steps.at(-1)).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
    await expect.poll(() => fake.open, { timeout: 5_000 }).toBe(0);
    const gone = await server.gql('query($id: ID!) { conversation(id: $id) { id } run: node(id: $id) { id } }', { id: sent.conversationId }, token);
    expect(gone.data).toEqual({ conversation: null, run: null });
    expect((await server.gql('query($id: ID!) { run(id: $id) { id } }', { id: sent.runId }, token)).data!.run).toBeNull();
  });

  describe('subscriptions that cannot start', () => {
    /** Every result of one subscription, and whether it completed (rather than erroring at the protocol level). */
    async function subscribe(t: string, variables: Record<string, unknown>) {
      const client = server.ws(t);
      const results: any[] = [];
      let completed = false;
      try {
        for await (const result of client.iterate({
          query: `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) { ${STEP_FIELDS} } }`,
          variables,
        })) {
          results.push(result);
        }
        completed = true;
      } finally {
        await client.dispose();
      }
      return { results, completed };
    }

    it("another user's run: one result with NOT_FOUND, then completion", async () => {
      fake.enqueue(text('private'));
      const mine = await chat(server, token, { text: 'private question' });
      const other = await server.token('snooper');
      const foreign = await subscribe(other, { runId: mine.runId });
      const unknown = await subscribe(other, { runId: unknownId('Run') });
      for (const answer of [foreign, unknown]) {
        expect(answer.completed).toBe(true);
        expect(answer.results).toHaveLength(1);
        expect(answer.results[0].errors[0].extensions.code).toBe('NOT_FOUND');
        expect(answer.results[0].data ?? null).toBeNull();
      }
      expect(foreign.results[0].errors[0].message).toBe(unknown.results[0].errors[0].message);
    });

    it('a malformed run id: NOT_FOUND; after -1: BAD_USER_INPUT', async () => {
      const malformed = await subscribe(token, { runId: 'garbage' });
      expect(malformed.completed).toBe(true);
      expect(malformed.results).toHaveLength(1);
      expect(malformed.results[0].errors[0].extensions.code).toBe('NOT_FOUND');
      fake.enqueue(text('fine'));
      const mine = await chat(server, token, { text: 'q' });
      const negative = await subscribe(token, { runId: mine.runId, after: -1 });
      expect(negative.completed).toBe(true);
      expect(negative.results).toHaveLength(1);
      expect(negative.results[0].errors[0].extensions.code).toBe('BAD_USER_INPUT');
    });
  });
});
