/**
 * A terminal chat client: sends one message and streams the run to the
 * terminal as it arrives (thinking dimmed, text as is, tool calls and their
 * results on their own lines), then the usage.
 *
 *   npm run chat -- "What is 6*7?" [--url http://127.0.0.1:4000/graphql]
 *     [--token <jwt> | CHAT_TOKEN=<jwt>] [--tools current_time,calculator]
 *     [--conversation <id>] [--no-color]
 *
 * Same reconnect rule as the other examples: drop events whose seq we have,
 * resubscribe by hand with `after` = the newest seq.
 */
import { print } from 'graphql';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createWsClient, MAX_RESUBSCRIBES } from './apollo-chat.js';
import { ChatStepsDocument, SendMessageDocument, type ChatStepsSubscription, type SendMessageMutation } from './generated/graphql.js';
import { resumable, StepLog, type StepEvent } from './steps.js';

export interface TerminalChatOptions {
  url: string;
  wsUrl?: string;
  token?: string;
  text: string;
  tools?: string[];
  conversationId?: string;
  /** Where to write; default process.stdout. */
  write?: (chunk: string) => void;
  color?: boolean;
  retryAttempts?: number;
}

const ansi = (on: boolean) => ({
  dim: (s: string) => (on ? `\x1b[2m${s}\x1b[22m` : s),
  cyan: (s: string) => (on ? `\x1b[36m${s}\x1b[39m` : s),
  red: (s: string) => (on ? `\x1b[31m${s}\x1b[39m` : s),
});

/** Renders events as they arrive; keeps track of which kind of output is open. */
export function createRenderer(write: (chunk: string) => void, color: boolean) {
  const c = ansi(color);
  let open: 'thinking' | 'text' | null = null;
  let openIndex = -1;
  const newline = () => {
    if (open) write('\n');
    open = null;
  };
  return (step: StepEvent) => {
    switch (step.__typename) {
      case 'ThinkingStep':
        if (open !== 'thinking' || openIndex !== step.index) newline(), write(c.dim('thinking: '));
        open = 'thinking';
        openIndex = step.index;
        write(c.dim(step.delta));
        break;
      case 'TextStep':
        if (open !== 'text' || openIndex !== step.index) newline();
        open = 'text';
        openIndex = step.index;
        write(step.delta);
        break;
      case 'ToolCallStep':
        newline();
        write(c.cyan(`→ ${step.name}(${step.arguments})`) + '\n');
        break;
      case 'ToolResultStep':
        newline();
        write(c.cyan(`← ${step.name} ${step.success ? 'ok' : 'failed'} in ${step.durationMs} ms: ${step.content}`) + '\n');
        break;
      case 'DoneStep': {
        newline();
        const u = step.usage;
        write(
          c.dim(
            `usage: ${u.promptTokens} prompt + ${u.completionTokens} completion = ${u.totalTokens} tokens` +
              (u.reasoningTokens != null ? ` (${u.reasoningTokens} reasoning)` : '') +
              `; ${step.iterations} iteration${step.iterations === 1 ? '' : 's'}; finish: ${step.finishReason}`,
          ) + '\n',
        );
        break;
      }
      case 'ErrorStep':
        newline();
        write(c.red(`error ${step.code}: ${step.message}${step.retryable ? ' (retryable)' : ''}`) + '\n');
        break;
    }
  };
}

export async function runTerminalChat(options: TerminalChatOptions) {
  const write = options.write ?? ((chunk: string) => void process.stdout.write(chunk));
  const authorization = options.token ? `Bearer ${options.token}` : undefined;
  const response = await fetch(options.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({
      query: print(SendMessageDocument),
      variables: { input: { text: options.text, enabledTools: options.tools, conversationId: options.conversationId } },
    }),
  });
  const sent = (await response.json()) as { data?: SendMessageMutation | null; errors?: { message: string }[] };
  if (!sent.data) throw new Error(`sendMessage failed: ${sent.errors?.map((e) => e.message).join('; ') ?? response.status}`);
  const { run, conversation } = sent.data.sendMessage;

  const ws = createWsClient(options);
  const render = createRenderer(write, options.color ?? false);
  const log = new StepLog();
  const subscribedAfter: number[] = [];
  try {
    while (!log.end) {
      if (subscribedAfter.length > MAX_RESUBSCRIBES) throw new Error('gave up resubscribing');
      subscribedAfter.push(log.lastSeq);
      let refused: string | undefined;
      try {
        for await (const result of ws.iterate<ChatStepsSubscription>({
          query: print(ChatStepsDocument),
          variables: { runId: run.id, after: log.lastSeq },
        })) {
          // A GraphQL error (NOT_FOUND, SUBSCRIBER_TOO_SLOW, ...) ends this subscription.
          if (result.errors && !resumable(result.errors)) refused = result.errors.map((e) => e.message).join('; ');
          const step = result.data?.chatSteps;
          if (step && log.add(step)) render(step);
        }
      } catch {
        // The socket failed and graphql-ws gave up retrying: resubscribe from the newest seq.
      }
      if (refused && !log.end) throw new Error(refused);
    }
  } finally {
    await ws.dispose();
  }
  write(ansi(options.color ?? false).dim(`conversation: ${conversation.id}`) + '\n');
  return { runId: run.id, conversationId: conversation.id, answer: log.text, seqs: log.seqs, duplicates: log.duplicates, subscribedAfter, end: log.end };
}

export function parseCommandLine(argv: string[], env: NodeJS.ProcessEnv = process.env): TerminalChatOptions {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string', default: env.CHAT_URL ?? 'http://127.0.0.1:4000/graphql' },
      token: { type: 'string' },
      tools: { type: 'string' },
      conversation: { type: 'string' },
      'no-color': { type: 'boolean', default: false },
    },
  });
  const text = positionals.join(' ').trim();
  if (!text) throw new Error('usage: npm run chat -- "question" [--url URL] [--token JWT] [--tools a,b] [--conversation ID]');
  return {
    url: values.url!,
    token: values.token ?? env.CHAT_TOKEN,
    text,
    tools: values.tools ? values.tools.split(',').map((t) => t.trim()).filter(Boolean) : undefined,
    conversationId: values.conversation,
    color: !values['no-color'] && process.stdout.isTTY === true && !env.NO_COLOR,
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    await runTerminalChat(parseCommandLine(process.argv.slice(2)));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
