/**
 * The built-in demo model: an OpenAI-compatible endpoint served inside each
 * server process, so a newcomer sees every kind of step with nothing
 * configured. What it says is demo-answers.ts's; this module streams it in
 * the exact OpenAI wire format: reasoning deltas, tool calls whose
 * arguments arrive in fragments, text deltas, usage, `[DONE]`.
 *
 * It is reached through `demoFetch`, the `fetch` the demo provider's SDK
 * client gets: a web Request in, a Response out whose body is the SSE
 * stream, never touching the network. So every instance serves its own demo
 * runs (the shared demo row names no instance's address), nobody else can
 * call it, and the SDK still parses the real wire format, so the demo
 * exercises the real streaming path.
 */
import { demoAnswer, type DemoAnswer, type DemoRequest } from './demo-answers.js';

export { DEMO_THINKING_PARAMS } from './demo-answers.js';

/** The demo row's base URL: a name that resolves nowhere (RFC 2606), never an instance's address. */
export const DEMO_BASE_URL = 'http://demo.invalid/v1';
export const DEMO_MODEL_NAME = 'demo';

export interface DemoFetchOptions {
  /** Waits between two chunks (tests pass one that does not). */
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Word-sized pieces, each keeping its trailing space, as a model streams text. */
function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

/** Token-sized pieces of a tool call's JSON arguments, as providers fragment them. */
function fragments(json: string): string[] {
  return json.match(/[A-Za-z]+|\d+|\s+|[^A-Za-z\d\s]{1,3}/g) ?? [json];
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const notFound = () => json(404, { error: { message: 'Not found', type: 'invalid_request_error' } });

/** The demo endpoint as a `fetch`: GET /models and POST /chat/completions under DEMO_BASE_URL. */
export function createDemoFetch(options: DemoFetchOptions = {}): typeof fetch {
  const sleep = options.sleep ?? realSleep;
  return async (input, init) => {
    const request = new Request(input, init);
    const url = request.url.split('?')[0]!;
    if (!url.startsWith(`${DEMO_BASE_URL}/`)) return notFound();
    const path = url.slice(DEMO_BASE_URL.length);
    if (request.method === 'GET' && path === '/models') {
      return json(200, { object: 'list', data: [{ id: DEMO_MODEL_NAME, object: 'model', created: 0, owned_by: 'chat-run-server' }] });
    }
    if (request.method === 'POST' && path === '/chat/completions') {
      let body: DemoRequest;
      try {
        body = JSON.parse(await request.text()) as DemoRequest;
      } catch {
        return json(400, { error: { message: 'Invalid JSON body', type: 'invalid_request_error' } });
      }
      return sseResponse(demoChunks(body, sleep), init?.signal ?? undefined);
    }
    return notFound();
  };
}

export const demoFetch: typeof fetch = createDemoFetch();

/** A streaming response that pulls `chunks` as it is read; an abort errors the body, as a dropped connection would. */
function sseResponse(chunks: AsyncGenerator<string>, signal?: AbortSignal): Response {
  const encoder = new TextEncoder();
  let onAbort: (() => void) | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!signal) return;
      onAbort = () => {
        try {
          controller.error(signal.reason);
        } catch {
          // already closed
        }
        void chunks.return(undefined);
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    },
    async pull(controller) {
      const next = await chunks.next();
      try {
        if (next.done) {
          controller.close();
          if (onAbort) signal?.removeEventListener('abort', onAbort);
        } else controller.enqueue(encoder.encode(next.value));
      } catch {
        // errored by an abort meanwhile
      }
    },
    async cancel() {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
      await chunks.return(undefined);
    },
  });
  return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });
}

/** The deltas of `answer`, one per chunk, in the order a provider sends them. */
function* answerDeltas(answer: DemoAnswer, callIdPrefix: string): Generator<Record<string, unknown>> {
  for (const word of words(answer.thinking ?? '')) yield { reasoning_content: word };
  for (const [index, call] of answer.calls.entries()) {
    yield { tool_calls: [{ index, id: `${callIdPrefix}_${index}`, type: 'function', function: { name: call.name, arguments: '' } }] };
    for (const fragment of fragments(call.arguments)) yield { tool_calls: [{ index, function: { arguments: fragment } }] };
  }
  for (const word of words(answer.text)) yield { content: word };
}

/** The SSE lines of the demo's answer to `body`, paced like a real model. */
async function* demoChunks(body: DemoRequest, sleep: (ms: number) => Promise<void>): AsyncGenerator<string> {
  const messages = body.messages ?? [];
  const answer = demoAnswer(body);
  // Ids from the history's length: unique along a conversation, the same on every replay.
  const id = `chatcmpl-demo-${messages.length}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? DEMO_MODEL_NAME;
  const chunk = (fields: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_demo', ...fields })}\n\n`;
  const choice = (delta: Record<string, unknown>, finish: string | null = null) =>
    chunk({ choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });

  let completionTokens = 0;
  yield choice({ role: 'assistant', content: '', refusal: null });
  for (const delta of answerDeltas(answer, `call_demo_${messages.length}`)) {
    await sleep(answer.delayMs);
    completionTokens++;
    yield choice(delta);
  }
  await sleep(answer.delayMs);
  yield choice({}, answer.calls.length > 0 ? 'tool_calls' : 'stop');
  if (body.stream_options?.include_usage) {
    const promptTokens = JSON.stringify(messages).length >> 2;
    yield chunk({ choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } });
  }
  yield 'data: [DONE]\n\n';
}
