/**
 * The typed client examples (examples/) against the real server and the fake
 * provider: GraphQL Code Generator output has not drifted; Apollo Client and
 * urql send a message, follow the steps and render the exact answer with
 * gapless seqs, also when the socket is cut mid-run (graphql-ws's own retry,
 * which replays from the original `after`, and our resubscribe with `after` =
 * the newest seq); the terminal chat streams every kind of step and usage.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApolloClient, runApolloExample, type ExampleOptions, type ExampleResult } from '../examples/apollo-chat.js';
import { CancelRunDocument, ConversationsDocument } from '../examples/generated/graphql.js';
import { runTerminalChat } from '../examples/terminal-chat.js';
import { createUrqlClient, runUrqlExample } from '../examples/urql-chat.js';
import { reply, startFakeLlm, text, toolCall, type FakeLlm } from './fixtures/fake-llm.js';
import { startChatServer } from './helpers/chat.js';
import type { TestServer } from './helpers/server.js';

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, '..');

/** A TCP proxy in front of the server whose connections the test can cut. */
async function startProxy(targetPort: number) {
  const sockets = new Set<net.Socket>();
  let connections = 0;
  const server = net.createServer((client) => {
    connections++;
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    for (const s of [client, upstream]) s.on('error', done).on('close', done);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}/graphql`,
    get connections() {
      return connections;
    },
    cut: () => {
      for (const socket of sockets) socket.destroy();
    },
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const gapless = (seqs: number[]) => seqs.every((seq, i) => seq === i + 1);

describe('client examples', () => {
  let fake: FakeLlm;
  let server: TestServer;
  let token: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;

  beforeAll(async () => {
    fake = await startFakeLlm();
    server = await startChatServer(fake);
    token = await server.token('examples', 1, 'Examples');
    proxy = await startProxy(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
    await fake?.close();
  });

  it('codegen output in examples/generated is up to date (npm run codegen)', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'codegen-'));
    try {
      await run(path.join(root, 'node_modules/.bin/graphql-codegen'), ['--config', 'examples/codegen.ts', '--silent'], {
        cwd: root,
        env: { ...process.env, CODEGEN_OUT: `${out}/` },
      });
      const committed = path.join(root, 'examples/generated');
      const files = fs.readdirSync(out).sort();
      expect(files).toEqual(fs.readdirSync(committed).sort());
      for (const file of files) {
        expect(fs.readFileSync(path.join(committed, file), 'utf8'), `examples/generated/${file} drifted: run npm run codegen`).toBe(
          fs.readFileSync(path.join(out, file), 'utf8'),
        );
      }
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it('Apollo Client: tool loop with every step member, exact answer, gapless seqs, the conversation listed', async () => {
    fake.enqueue(
      reply([{ thinking: 'I should compute it.' }, { toolCalls: [toolCall('calculator', { expression: '6*7' }, 'call_1')] }]),
      reply([{ text: 'Six times seven is 42.' }]),
    );
    const kinds = new Set<string>();
    const result = await runApolloExample({
      url: server.url,
      wsUrl: server.wsUrl,
      token,
      text: 'What is 6*7?',
      enabledTools: ['calculator'],
      onStep: (step) => kinds.add(step.__typename),
    });
    expect(result.answer).toBe('Six times seven is 42.');
    expect(gapless(result.seqs)).toBe(true);
    expect(result.end?.__typename).toBe('DoneStep');
    expect(kinds).toEqual(new Set(['ThinkingStep', 'ToolCallStep', 'ToolResultStep', 'TextStep', 'DoneStep']));
    expect(result.subscribedAfter).toEqual([0]);

    const { client, ws } = createApolloClient({ url: server.url, wsUrl: server.wsUrl, token });
    try {
      const listed = await client.query({ query: ConversationsDocument, variables: { first: 5 } });
      expect(listed.data?.conversations.edges.map((e) => e.node.id)).toContain(result.conversationId);
    } finally {
      client.stop();
      await ws.dispose();
    }
  });

  it('urql: exact answer and gapless seqs; cancelRun ends the stream with ErrorStep CANCELLED', async () => {
    fake.enqueue(text('Hello from urql, word by word.'));
    const result = await runUrqlExample({ url: server.url, wsUrl: server.wsUrl, token, text: 'hi' });
    expect(result.answer).toBe('Hello from urql, word by word.');
    expect(gapless(result.seqs)).toBe(true);
    expect(result.end?.__typename).toBe('DoneStep');
    // urql marks subscription results hasNext and, on completion, re-emits the last one with
    // hasNext: false: the DoneStep arrives twice, and the seq check drops the echo.
    expect(result.duplicates).toBe(1);

    const words = 'one two three four five six seven eight nine ten eleven twelve thirteen fourteen';
    fake.enqueue(text(words, { delayMs: 60 }));
    const { client, ws } = createUrqlClient({ url: server.url, wsUrl: server.wsUrl, token });
    try {
      let cancel: Promise<{ data?: { cancelRun: { status: string } } }> | undefined;
      const stopped = await runUrqlExample({
        url: server.url,
        wsUrl: server.wsUrl,
        token,
        text: 'a long one',
        onStep: (step, runId) => {
          if (step.__typename === 'TextStep' && !cancel) cancel = client.mutation(CancelRunDocument, { id: runId }).toPromise();
        },
      });
      expect((await cancel)?.data?.cancelRun.status).toBe('CANCELLED');
      expect(stopped.end).toMatchObject({ __typename: 'ErrorStep', code: 'CANCELLED' });
      expect(gapless(stopped.seqs)).toBe(true);
      expect(words.startsWith(stopped.answer)).toBe(true);
      expect(stopped.answer.length).toBeLessThan(words.length);
    } finally {
      await ws.dispose();
    }
  });

  const examples: [string, typeof runApolloExample][] = [
    ['Apollo Client', runApolloExample],
    ['urql', runUrqlExample],
  ];
  for (const [name, example] of examples) {
    it(`${name}: a socket cut mid-run, graphql-ws retries from the original after: duplicates dropped, answer exact`, async () => {
      const words = 'The quick brown fox jumps over the lazy dog while the cat watches from the warm sunny windowsill above.';
      fake.enqueue(text(words, { delayMs: 30 }));
      const before = proxy.connections;
      let cut = false;
      const result = await example({
        url: server.url,
        wsUrl: proxy.wsUrl,
        token,
        text: 'tell me about the fox',
        onStep: (step) => {
          if (step.seq === 3 && !cut) (cut = true), proxy.cut();
        },
      });
      expect(cut).toBe(true);
      expect(proxy.connections - before).toBeGreaterThanOrEqual(2);
      expect(result.answer).toBe(words);
      expect(gapless(result.seqs)).toBe(true);
      expect(result.end?.__typename).toBe('DoneStep');
      // graphql-ws re-sent the original subscribe (after: 0): the replayed events were dropped by seq.
      expect(result.subscribedAfter).toEqual([0]);
      expect(result.duplicates).toBeGreaterThanOrEqual(3);
    });

    it(`${name}: a socket cut mid-run without graphql-ws retries, resubscribed by hand with after = the newest seq`, async () => {
      const words = 'Pack my box with five dozen liquor jugs, then sphinx of black quartz, judge my vow, said the clerk.';
      fake.enqueue(text(words, { delayMs: 30 }));
      let cut = false;
      const result = await example({
        url: server.url,
        wsUrl: proxy.wsUrl,
        token,
        text: 'pangrams please',
        retryAttempts: 0,
        onStep: (step) => {
          if (step.seq === 3 && !cut) (cut = true), proxy.cut();
        },
      });
      expect(result.answer).toBe(words);
      expect(gapless(result.seqs)).toBe(true);
      expect(result.end?.__typename).toBe('DoneStep');
      expect(result.subscribedAfter.length).toBeGreaterThanOrEqual(2);
      expect(result.subscribedAfter[0]).toBe(0);
      expect(result.subscribedAfter[1]).toBeGreaterThanOrEqual(3);
      // Nothing replayed; urql re-emits its last result once when a subscription completes (see below).
      expect(result.duplicates).toBe(name === 'urql' ? 1 : 0);
    });
  }

  it('terminal chat: streams thinking, text, tool calls and results, then usage', async () => {
    fake.enqueue(
      reply([{ thinking: 'Need the time.' }, { toolCalls: [toolCall('current_time', {}, 'call_t')] }], { usage: { prompt: 9, completion: 4 } }),
      reply([{ text: 'It is now.' }], { usage: { prompt: 20, completion: 3 } }),
    );
    let output = '';
    const result = await runTerminalChat({
      url: server.url,
      wsUrl: server.wsUrl,
      token,
      text: 'What time is it?',
      tools: ['current_time'],
      write: (chunk) => void (output += chunk),
    });
    expect(result.answer).toBe('It is now.');
    expect(gapless(result.seqs)).toBe(true);
    expect(output).toContain('thinking: Need the time.\n');
    expect(output).toContain('→ current_time({})\n');
    expect(output).toMatch(/← current_time ok in \d+ ms: .+\n/);
    expect(output).toContain('It is now.\n');
    expect(output).toContain('usage: 29 prompt + 7 completion = 36 tokens; 2 iterations; finish: stop\n');
    expect(output).toContain(`conversation: ${result.conversationId}`);
  });

  it('terminal chat as a program: npm run chat -- "question" --url --token --tools --conversation', async () => {
    fake.enqueue(text('First answer.'));
    const first = await runTerminalChat({ url: server.url, token, text: 'first', write: () => {} });
    fake.enqueue(reply([{ toolCalls: [toolCall('calculator', { expression: '2+2' }, 'call_c')] }]), text('Four.'));
    const { stdout } = await run(
      'npm',
      ['run', '--silent', 'chat', '--', 'what is 2+2', '--url', server.url, '--tools', 'current_time,calculator', '--conversation', first.conversationId],
      { cwd: root, env: { ...process.env, CHAT_TOKEN: token, NO_COLOR: '1' } },
    );
    expect(stdout).toContain('→ calculator({"expression":"2+2"})');
    expect(stdout).toContain('Four.');
    expect(stdout).toContain(`conversation: ${first.conversationId}`);
    const history = await server.gql(
      `query($id: ID!) { conversation(id: $id) { messages { edges { node { role text } } } } }`,
      { id: first.conversationId },
      token,
    );
    expect(history.data!.conversation.messages.edges.map((e: any) => e.node.text)).toEqual(['first', 'First answer.', 'what is 2+2', 'Four.']);
  });
});
