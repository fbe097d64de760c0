/**
 * The load client's two sides. Each counts the bytes it received from its
 * own TCP sockets (`socket.bytesRead`: HTTP status lines, headers, chunked
 * framing, WebSocket frame headers and payloads, everything but TCP/IP
 * headers) and notes when its first text arrived.
 *
 * - Server: `sendMessage` over HTTP (its own connection), then `chatSteps`
 *   over graphql-ws on a connection opened (and acknowledged) beforehand,
 *   as a page that already holds its socket; only the subscription's
 *   traffic after `connection_ack` is counted, plus the mutation's response.
 * - Baseline: one `POST /chat` whose response is the SSE stream.
 */
import http from 'node:http';
import net from 'node:net';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { now } from './shared.js';

export interface RunResult {
  marker: string;
  ok: boolean;
  error?: string;
  text: string;
  /** Messages / SSE events carrying text. */
  textEvents: number;
  firstTextAt?: number;
  startedAt: number;
  /** When the sendMessage response arrived (server only). */
  sentAt?: number;
  endedAt: number;
  bytes: number;
  runId?: string;
}

function httpRequest(
  url: string,
  body: string,
  headers: Record<string, string>,
  onData?: (chunk: string, at: number) => void,
): Promise<{ status: number; body: string; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'POST', agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        res.setEncoding('utf8');
        let text = '';
        res.on('data', (chunk: string) => {
          if (onData) onData(chunk, now());
          else text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, bytes: res.socket?.bytesRead ?? 0 }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** A `ws` WebSocket that hands its TCP socket out, so its bytes can be counted. */
function countingWebSocket(onSocket: (socket: net.Socket) => void) {
  return class CountingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, {
        createConnection: ((options: net.NetConnectOpts) => {
          const socket = net.connect(options);
          onSocket(socket);
          return socket;
        }) as never,
      });
    }
  };
}

export interface ServerTarget {
  httpUrl: string;
  wsUrl: string;
}

export interface ConnectedClient {
  client: Client;
  socket: () => net.Socket | undefined;
}

/** A graphql-ws client whose connection is open and acknowledged. */
export async function connectClient(target: ServerTarget, token: string): Promise<ConnectedClient> {
  let socket: net.Socket | undefined;
  const client = createClient({
    url: target.wsUrl,
    webSocketImpl: countingWebSocket((s) => (socket = s)),
    lazy: false,
    retryAttempts: 0,
    keepAlive: 0,
    connectionParams: { authorization: `Bearer ${token}` },
    onNonLazyError: () => {},
  });
  await new Promise<void>((resolve, reject) => {
    const offConnected = client.on('connected', () => {
      offConnected();
      offClosed();
      resolve();
    });
    const offClosed = client.on('closed', (event) => {
      offConnected();
      offClosed();
      reject(new Error(`WebSocket closed before connection_ack: ${JSON.stringify(event)}`));
    });
  });
  return { client, socket: () => socket };
}

export const SEND_MESSAGE = `mutation($input: SendMessageInput!) { sendMessage(input: $input) { run { id } } }`;
/** Only what a chat view needs: the text deltas and how the run ended. */
export const CHAT_STEPS = `subscription($runId: ID!, $after: Int) { chatSteps(runId: $runId, after: $after) {
  __typename
  ... on TextStep { seq delta }
  ... on DoneStep { seq }
  ... on ErrorStep { seq code message }
} }`;

export async function sendMessage(target: ServerTarget, token: string, text: string): Promise<{ runId: string; bytes: number }> {
  const response = await httpRequest(target.httpUrl, JSON.stringify({ query: SEND_MESSAGE, variables: { input: { text } } }), {
    authorization: `Bearer ${token}`,
    accept: 'application/json',
  });
  const parsed = JSON.parse(response.body) as { data?: { sendMessage?: { run: { id: string } } }; errors?: unknown };
  const runId = parsed.data?.sendMessage?.run.id;
  if (!runId) throw new Error(`sendMessage failed (${response.status}): ${response.body}`);
  return { runId, bytes: response.bytes };
}

export interface FollowResult {
  text: string;
  textEvents: number;
  events: number;
  firstTextAt?: number;
  endedAt: number;
  terminal?: string;
  error?: string;
  lastSeq: number;
}

/** Follows chatSteps to the terminal step on an open client. */
export function followSteps(client: Client, runId: string, after = 0, onEvent?: (seq: number) => void): Promise<FollowResult> {
  return new Promise((resolve) => {
    const result: FollowResult = { text: '', textEvents: 0, events: 0, endedAt: 0, lastSeq: after };
    const parts: string[] = [];
    client.subscribe<{ chatSteps: { __typename: string; seq: number; delta?: string; code?: string; message?: string } }>(
      { query: CHAT_STEPS, variables: { runId, after } },
      {
        next: (value) => {
          const step = value.data?.chatSteps;
          if (!step) {
            result.error ??= JSON.stringify(value.errors);
            return;
          }
          result.events++;
          result.lastSeq = step.seq;
          onEvent?.(step.seq);
          if (step.__typename === 'TextStep') {
            result.firstTextAt ??= now();
            result.textEvents++;
            parts.push(step.delta!);
          } else if (step.__typename === 'DoneStep' || step.__typename === 'ErrorStep') {
            result.terminal = step.__typename;
            if (step.__typename === 'ErrorStep') result.error = `${step.code}: ${step.message}`;
          }
        },
        error: (error) => {
          result.error ??= error instanceof Error ? error.message : JSON.stringify(error);
          result.endedAt = now();
          result.text = parts.join('');
          resolve(result);
        },
        complete: () => {
          result.endedAt = now();
          result.text = parts.join('');
          resolve(result);
        },
      },
    );
  });
}

/** One run on the server: sendMessage, then chatSteps on an already connected client. */
export async function serverRun(target: ServerTarget, token: string, connected: ConnectedClient, marker: string, prompt: string): Promise<RunResult> {
  const bytesBefore = connected.socket()?.bytesRead ?? 0;
  const startedAt = now();
  try {
    const sent = await sendMessage(target, token, prompt);
    const sentAt = now();
    const followed = await followSteps(connected.client, sent.runId);
    const bytes = sent.bytes + (connected.socket()?.bytesRead ?? 0) - bytesBefore;
    return {
      marker,
      ok: followed.terminal === 'DoneStep' && !followed.error,
      error: followed.error,
      text: followed.text,
      textEvents: followed.textEvents,
      firstTextAt: followed.firstTextAt,
      startedAt,
      sentAt,
      endedAt: followed.endedAt,
      bytes,
      runId: sent.runId,
    };
  } catch (error) {
    return { marker, ok: false, error: String(error), text: '', textEvents: 0, startedAt, endedAt: now(), bytes: 0 };
  }
}

/** One run on the baseline relay: POST /chat, read the SSE stream to `event: done`. */
export async function baselineRun(url: string, marker: string, prompt: string): Promise<RunResult> {
  const startedAt = now();
  const parts: string[] = [];
  let firstTextAt: number | undefined;
  let textEvents = 0;
  let done = false;
  let error: string | undefined;
  let buffered = '';
  try {
    const response = await httpRequest(url, JSON.stringify({ prompt }), { accept: 'text/event-stream' }, (chunk, at) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\n\n')) >= 0) {
        const event = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (event.startsWith('event: done')) done = true;
        else if (event.startsWith('event: error')) error = event;
        else if (event.startsWith('data: ')) {
          firstTextAt ??= at;
          textEvents++;
          parts.push((JSON.parse(event.slice(6)) as { delta: string }).delta);
        }
      }
    });
    return {
      marker,
      ok: done && !error && response.status === 200,
      error,
      text: parts.join(''),
      textEvents,
      firstTextAt,
      startedAt,
      endedAt: now(),
      bytes: response.bytes,
    };
  } catch (caught) {
    return { marker, ok: false, error: String(caught), text: '', textEvents: 0, startedAt, endedAt: now(), bytes: 0 };
  }
}
