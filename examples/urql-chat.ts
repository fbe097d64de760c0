/**
 * urql (`@urql/core`): fetchExchange for queries and mutations,
 * subscriptionExchange over graphql-ws for chatSteps. No cacheExchange is
 * installed, so nothing is normalised: step events (which share their step's
 * id) go into our own StepLog, keyed by seq.
 *
 * Reconnects, as in the Apollo example: graphql-ws re-sends the original
 * `subscribe` after a dropped socket, so the StepLog drops events whose seq
 * it has; when the subscription fails or ends early, we resubscribe by hand
 * with `after` = the newest seq.
 *
 *   npx tsx examples/urql-chat.ts "What is 6*7?"   (CHAT_URL, CHAT_TOKEN)
 */
import { Client, fetchExchange, subscriptionExchange } from '@urql/core';
import { onEnd, pipe, subscribe } from 'wonka';
import { pathToFileURL } from 'node:url';
import { createWsClient, MAX_RESUBSCRIBES, type ExampleOptions, type ExampleResult } from './apollo-chat.js';
import { ChatStepsDocument, SendMessageDocument } from './generated/graphql.js';
import { resumable, StepLog } from './steps.js';

export function createUrqlClient(options: Pick<ExampleOptions, 'url' | 'wsUrl' | 'token' | 'retryAttempts'>) {
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  const ws = createWsClient(options);
  const client = new Client({
    url: options.url,
    fetchOptions: (): RequestInit => ({ headers: authorization ? { authorization } : ({} as Record<string, string>) }),
    exchanges: [
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
  return { client, ws };
}

export async function runUrqlExample(options: ExampleOptions): Promise<ExampleResult> {
  const { client, ws } = createUrqlClient(options);
  try {
    const sent = await client
      .mutation(SendMessageDocument, {
        input: { text: options.text, enabledTools: options.enabledTools, conversationId: options.conversationId },
      })
      .toPromise();
    if (!sent.data) throw new Error(`sendMessage failed: ${sent.error?.message}`);
    const runId = sent.data.sendMessage.run.id;
    const log = new StepLog();
    const subscribedAfter: number[] = [];

    while (!log.end) {
      if (subscribedAfter.length > MAX_RESUBSCRIBES) throw new Error('gave up resubscribing');
      const after = log.lastSeq;
      subscribedAfter.push(after);
      // The source ends when the server completes the subscription, or with an
      // error result when it fails: either way the loop decides what is next.
      let refused: Error | undefined;
      await new Promise<void>((resolve) => {
        pipe(
          client.subscription(ChatStepsDocument, { runId, after }),
          onEnd(() => resolve()),
          subscribe((result) => {
            const step = result.data?.chatSteps;
            if (step && log.add(step)) options.onStep?.(step, runId);
            // NOT_FOUND and the like will not heal; SUBSCRIBER_TOO_SLOW and network errors resume.
            const errors = result.error?.graphQLErrors ?? [];
            if (errors.length > 0 && !resumable(errors)) refused = result.error;
          }),
        );
      });
      if (refused && !log.end) throw refused;
    }
    return {
      runId,
      conversationId: sent.data.sendMessage.conversation.id,
      answer: log.text,
      seqs: log.seqs,
      duplicates: log.duplicates,
      subscribedAfter,
      end: log.end,
    };
  } finally {
    await ws.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.CHAT_URL ?? 'http://127.0.0.1:4000/graphql';
  const result = await runUrqlExample({ url, token: process.env.CHAT_TOKEN, text: process.argv[2] ?? 'Hello!' });
  console.log(result.answer);
}
