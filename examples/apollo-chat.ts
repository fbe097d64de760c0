/**
 * Apollo Client 4: HTTP for queries and mutations, graphql-ws for
 * subscriptions, chosen by a split link. Sends a message, follows the run's
 * steps and renders the answer.
 *
 * Cache policy: every event of a step carries the step's id, so a normalised
 * cache would merge all of them into one entry. The subscription runs with
 * `fetchPolicy: 'no-cache'` and the Step members have `keyFields: false`;
 * the events live in our own StepLog, keyed by seq.
 *
 * Reconnects: graphql-ws retries a dropped socket and re-sends the same
 * `subscribe` with the same variables (so from the original `after`): the
 * StepLog drops every event whose seq it has. When the subscription itself
 * fails (retries exhausted), we resubscribe by hand with `after` = the newest
 * seq we hold.
 *
 *   npx tsx examples/apollo-chat.ts "What is 6*7?"   (CHAT_URL, CHAT_TOKEN)
 */
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { isSubscriptionOperation } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import { pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { ChatStepsDocument, SendMessageDocument } from './generated/graphql.js';
import { resumable, StepLog, type StepEvent } from './steps.js';

export interface ExampleOptions {
  /** HTTP endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  /** WebSocket endpoint; defaults to `url` with ws(s):. */
  wsUrl?: string;
  token?: string;
  text: string;
  enabledTools?: string[];
  conversationId?: string;
  /** graphql-ws reconnect attempts (default 5); 0 leaves reconnecting to our own resubscribe. */
  retryAttempts?: number;
  /** Called with each new event (not with dropped duplicates). */
  onStep?: (step: StepEvent, runId: string) => void;
}

export interface ExampleResult {
  runId: string;
  conversationId: string;
  answer: string;
  seqs: number[];
  /** Events dropped because their seq had already arrived. */
  duplicates: number;
  /** The `after` of every subscribe we made ourselves (the first is 0). */
  subscribedAfter: number[];
  end: StepLog['end'];
}

export const MAX_RESUBSCRIBES = 5;

export function toWsUrl(url: string): string {
  return url.replace(/^http/, 'ws');
}

/** graphql-ws backoff: short, growing, capped. */
export const retryWait = (retries: number) => new Promise<void>((r) => setTimeout(r, Math.min(100 * 2 ** retries, 3_000)));

/** The graphql-ws client every example uses: the token in connectionParams, retries that resubscribe. */
export function createWsClient(options: Pick<ExampleOptions, 'url' | 'wsUrl' | 'token' | 'retryAttempts'>) {
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  return createClient({
    url: options.wsUrl ?? toWsUrl(options.url),
    webSocketImpl: WebSocket,
    connectionParams: authorization ? { authorization } : {},
    retryAttempts: options.retryAttempts ?? 5,
    shouldRetry: () => true,
    retryWait,
  });
}

export function createApolloClient(options: Pick<ExampleOptions, 'url' | 'wsUrl' | 'token' | 'retryAttempts'>) {
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  const ws = createWsClient(options);
  const http = new HttpLink({ uri: options.url, headers: authorization ? { authorization } : {} });
  const link = ApolloLink.split(({ query }) => isSubscriptionOperation(query), new GraphQLWsLink(ws), http);
  const stepPolicy = { keyFields: false as const };
  const cache = new InMemoryCache({
    typePolicies: {
      ThinkingStep: stepPolicy,
      TextStep: stepPolicy,
      ToolCallStep: stepPolicy,
      ToolResultStep: stepPolicy,
      DoneStep: stepPolicy,
      ErrorStep: stepPolicy,
    },
  });
  return { client: new ApolloClient({ link, cache }), ws };
}

export async function runApolloExample(options: ExampleOptions): Promise<ExampleResult> {
  const { client, ws } = createApolloClient(options);
  try {
    const sent = await client.mutate({
      mutation: SendMessageDocument,
      variables: { input: { text: options.text, enabledTools: options.enabledTools, conversationId: options.conversationId } },
    });
    if (!sent.data) throw new Error(`sendMessage failed: ${sent.error?.message}`);
    const runId = sent.data.sendMessage.run.id;
    const log = new StepLog();
    const subscribedAfter: number[] = [];

    while (!log.end) {
      if (subscribedAfter.length > MAX_RESUBSCRIBES) throw new Error('gave up resubscribing');
      const after = log.lastSeq;
      subscribedAfter.push(after);
      await new Promise<void>((resolve, reject) => {
        const subscription = client
          .subscribe({ query: ChatStepsDocument, variables: { runId, after }, fetchPolicy: 'no-cache' })
          .subscribe({
            next: (result) => {
              const step = result.data?.chatSteps;
              if (step && log.add(step)) options.onStep?.(step, runId);
              if (result.error && !step) {
                subscription.unsubscribe();
                // NOT_FOUND and the like will not heal; SUBSCRIBER_TOO_SLOW and network errors resume.
                if (CombinedGraphQLErrors.is(result.error) && !resumable(result.error.errors)) reject(result.error);
                else resolve();
              }
            },
            // A failed subscription (socket gone, retries exhausted) or its end: the loop
            // resubscribes from the newest seq unless the run has ended.
            error: () => resolve(),
            complete: () => resolve(),
          });
      });
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
    client.stop();
    await ws.dispose();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const url = process.env.CHAT_URL ?? 'http://127.0.0.1:4000/graphql';
  const result = await runApolloExample({ url, token: process.env.CHAT_TOKEN, text: process.argv[2] ?? 'Hello!' });
  console.log(result.answer);
}
