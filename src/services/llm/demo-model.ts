/**
 * The built-in demo model: an OpenAI-compatible endpoint served by the
 * server itself (under /demo/v1), so a newcomer sees every kind of step with
 * nothing configured. It streams a short deterministic answer: thinking,
 * then, when the current_time tool is offered and not yet called, a tool
 * call; after the result, text that uses it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export const DEMO_PATH = '/demo/v1';
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

async function readJson(req: IncomingMessage): Promise<DemoRequest> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 5_000_000) throw new Error('request too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as DemoRequest;
}

/** Handles /demo/v1/*; returns false for other paths. */
export function handleDemoRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const path = req.url?.split('?')[0];
  if (!path?.startsWith(`${DEMO_PATH}/`)) return false;
  if (req.method === 'GET' && path === `${DEMO_PATH}/models`) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: DEMO_MODEL_NAME, object: 'model', created: 0, owned_by: 'chat-run-server' }] }));
    return true;
  }
  if (req.method === 'POST' && path === `${DEMO_PATH}/chat/completions`) {
    void streamDemo(req, res).catch(() => res.destroy());
    return true;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: { message: 'Not found', type: 'invalid_request_error' } }));
  return true;
}

async function streamDemo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body: DemoRequest;
  try {
    body = await readJson(req);
  } catch {
    res.writeHead(400, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: 'Invalid JSON body', type: 'invalid_request_error' } }));
    return;
  }
  const messages = body.messages ?? [];
  const lastUser = [...messages].reverse().find((m) => m.role === 'user');
  const userText = typeof lastUser?.content === 'string' ? lastUser.content : '';
  const last = messages[messages.length - 1];
  const offersClock = (body.tools ?? []).some((t) => t.function?.name === 'current_time');
  const afterTool = last?.role === 'tool';
  const id = `chatcmpl-demo-${Date.now().toString(36)}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model ?? DEMO_MODEL_NAME;
  let closed = false;
  res.on('close', () => {
    closed = true;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = async (delta: Record<string, unknown>, finish: string | null = null) => {
    if (closed) return;
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`);
    await sleep(CHUNK_DELAY_MS);
  };

  let completionTokens = 0;
  await send({ role: 'assistant', content: '' });
  const quoted = userText.length > 60 ? `${userText.slice(0, 57)}...` : userText;
  const thinking = afterTool
    ? 'The tool answered; I can put the time into a short reply.'
    : offersClock
      ? `The user wrote "${quoted}". The current_time tool is enabled, so I will check the time first.`
      : `The user wrote "${quoted}". I will answer briefly and explain that I am the demo model.`;
  for (const word of words(thinking)) {
    completionTokens++;
    await send({ reasoning_content: word });
  }

  if (offersClock && !afterTool) {
    const args = ['{"time', 'Zone": "', 'UTC"}'];
    await send({ tool_calls: [{ index: 0, id: `call_demo_${created}`, type: 'function', function: { name: 'current_time', arguments: '' } }] });
    for (const fragment of args) await send({ tool_calls: [{ index: 0, function: { arguments: fragment } }] });
    completionTokens += 8;
    await send({}, 'tool_calls');
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
      await send({ content: word });
    }
    await send({}, 'stop');
  }
  if (!closed && body.stream_options?.include_usage) {
    const promptTokens = JSON.stringify(messages).length >> 2;
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens } })}\n\n`,
    );
  }
  if (!closed) res.end('data: [DONE]\n\n');
}
