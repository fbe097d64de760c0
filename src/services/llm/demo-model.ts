/**
 * The built-in demo model: an OpenAI-compatible endpoint served inside each
 * server process, so a newcomer sees every kind of step with nothing
 * configured. It streams a short deterministic answer: thinking, then, when
 * the current_time tool is offered and not yet called, a tool call; after
 * the result, text that uses it.
 *
 * It is reached through `demoFetch`, the `fetch` the demo provider's SDK
 * client gets: a web Request in, a Response out whose body is the exact
 * OpenAI SSE wire format, never touching the network. So every instance
 * serves its own demo runs (the shared demo row names no instance's
 * address), nobody else can call it, and the SDK still parses the real
 * wire format, so the demo exercises the real streaming path.
 */

/** The demo row's base URL: a name that resolves nowhere (RFC 2606), never an instance's address. */
export const DEMO_BASE_URL = 'http://demo.invalid/v1';
export const DEMO_MODEL_NAME = 'demo';
const CHUNK_DELAY_MS = 12;

interface DemoRequest {
  model?: string;
  messages?: { role: string; content?: unknown; tool_calls?: unknown[] }[];
  tools?: { function?: { name?: string } }[];
  stream_options?: { include_usage?: boolean };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function words(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const notFound = () => json(404, { error: { message: 'Not found', type: 'invalid_request_error' } });

/** The demo endpoint as a `fetch`: GET /models and POST /chat/completions under DEMO_BASE_URL. */
export const demoFetch: typeof fetch = async (input, init) => {
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
    return sseResponse(demoChunks(body), init?.signal ?? undefined);
  }
  return notFound();
};

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

/** The SSE lines of the demo's answer to `body`, paced like a real model. */
async function* demoChunks(body: DemoRequest): AsyncGenerator<string> {
  const messages = body.messages ?? [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const userText = typeof lastUser?.content === 'string' ? lastUser.content : '';
  const last = messages[messages.length - 1];
  const offersClock = (body.tools ?? []).some((t) => t.function?.name === 'current_time');
  const afterTool = last?.role === 'tool';
  const id = `chatcmpl-demo-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? DEMO_MODEL_NAME;
  const chunk = (fields: Record<string, unknown>) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, ...fields })}\n\n`;
  const delta = (d: Record<string, unknown>, finish: string | null = null) =>
    chunk({ choices: [{ index: 0, delta: d, finish_reason: finish }] });

  let completionTokens = 0;
  yield delta({ role: 'assistant', content: '' });
  await sleep(CHUNK_DELAY_MS);
  const quoted = userText.length > 60 ? `${userText.slice(0, 57)}...` : userText;
  const thinking = afterTool
    ? 'The tool answered; I can put the time into a short reply.'
    : offersClock
      ? `The user wrote "${quoted}". The current_time tool is enabled, so I will check the time first.`
      : `The user wrote "${quoted}". I will answer briefly and explain that I am the demo model.`;
  for (const word of words(thinking)) {
    completionTokens++;
    yield delta({ reasoning_content: word });
    await sleep(CHUNK_DELAY_MS);
  }

  if (offersClock && !afterTool) {
    yield delta({ tool_calls: [{ index: 0, id: `call_demo_${created}`, type: 'function', function: { name: 'current_time', arguments: '' } }] });
    for (const fragment of ['{"time', 'Zone": "', 'UTC"}']) {
      await sleep(CHUNK_DELAY_MS);
      yield delta({ tool_calls: [{ index: 0, function: { arguments: fragment } }] });
    }
    completionTokens += 8;
    await sleep(CHUNK_DELAY_MS);
    yield delta({}, 'tool_calls');
  } else {
    const toolResult = afterTool && typeof last?.content === 'string' ? last.content : undefined;
    let time: string | undefined;
    try {
      time = toolResult ? (JSON.parse(toolResult) as { iso?: string }).iso : undefined;
    } catch {
      time = undefined;
    }
    const text =
      (time ? `The current_time tool says it is ${time}. ` : '') +
      `Hello! I am the built-in demo model of chat-run-server, so my answers are canned. ` +
      `You said: "${quoted}". Set LLM_BASE_URL, LLM_API_KEY and LLM_MODEL (or create a provider) to talk to a real model.`;
    for (const word of words(text)) {
      completionTokens++;
      yield delta({ content: word });
      await sleep(CHUNK_DELAY_MS);
    }
    yield delta({}, 'stop');
  }
  if (body.stream_options?.include_usage) {
    const promptTokens = JSON.stringify(messages).length >> 2;
    yield chunk({ choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } });
  }
  yield 'data: [DONE]\n\n';
}
